"""Validates dumped compute responses against Tempest's response schemas (see tempest-schema-dump.ts)."""
import importlib, json, sys

import jsonschema
from tempest.lib.common import rest_client
out = json.load(open(sys.argv[1] if len(sys.argv) > 1 else '/tmp/compute-responses.json'))
bad = 0
for r in out:
    mod, attr = r['schema'].rsplit('.', 1)
    m = importlib.import_module('tempest.lib.api_schema.response.compute.' + mod)
    s = getattr(m, attr)
    try:
        if r['status'] not in s['status_code']: raise Exception('status %s not in %s: %s' % (r['status'], s['status_code'], str(r['body'])[:200]))
        if s.get('response_body'):
            jsonschema.validate(r['body'], s['response_body'], cls=rest_client.JSONSCHEMA_VALIDATOR, format_checker=rest_client.FORMAT_CHECKER)
    except Exception as e:
        bad += 1
        print('FAIL', r['schema'], r['version'], r['method'], r['path'], str(e)[:400])
print('checked', len(out), 'failed', bad)
sys.exit(1 if bad else 0)
