"""openstacksdk (Debian's python3-openstacksdk) drives a Brume site: the calls of sdk-all in
../shared/conformance/client-calls.md. Reads the usual OS_* variables; prints one JSON line of results."""
import json
import sys

import openstack

conn = openstack.connect()  # from OS_* environment variables
image = conn.image.find_image(sys.argv[1], ignore_missing=False)
flavor = conn.compute.find_flavor(sys.argv[2], ignore_missing=False)
network = conn.network.find_network(sys.argv[3], ignore_missing=False)
server = conn.compute.create_server(
    name="vm-sdk", image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": network.id}]
)
server = conn.compute.wait_for_server(server, status="ACTIVE", wait=120)
listed = [s.name for s in conn.compute.servers()]
found = conn.compute.find_server("vm-sdk")
conn.compute.delete_server(server)
conn.compute.wait_for_delete(server, wait=120)
print(json.dumps({
    "status": server.status,
    "listed": "vm-sdk" in listed,
    "found": found is not None and found.id == server.id,
    "addresses": server.addresses,
    "after": [s.name for s in conn.compute.servers()],
    "images": [i.name for i in conn.image.images()],
}))
