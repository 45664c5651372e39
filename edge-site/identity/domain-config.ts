import { badRequest, forbidden } from '../../shared/errors.ts';

type Groups = Record<string, Record<string, unknown>>;

/** Keystone's whitelisted domain-specific options with their defaults (the values Keystone ships). */
export const DOMAIN_CONFIG_DEFAULTS: Groups = {
  identity: { driver: 'sql', list_limit: null },
  ldap: {
    url: 'ldap://localhost',
    user: null,
    suffix: 'cn=example,cn=com',
    query_scope: 'one',
    page_size: 0,
    alias_dereferencing: 'default',
    debug_level: null,
    chase_referrals: null,
    user_tree_dn: null,
    user_filter: null,
    user_objectclass: 'inetOrgPerson',
    user_id_attribute: 'cn',
    user_name_attribute: 'sn',
    user_mail_attribute: 'mail',
    user_description_attribute: 'description',
    user_pass_attribute: 'userPassword',
    user_enabled_attribute: 'enabled',
    user_enabled_invert: false,
    user_enabled_mask: 0,
    user_enabled_default: 'True',
    user_attribute_ignore: ['default_project_id'],
    user_default_project_id_attribute: null,
    user_enabled_emulation: false,
    user_enabled_emulation_dn: null,
    user_enabled_emulation_use_group_config: false,
    user_additional_attribute_mapping: [],
    group_tree_dn: null,
    group_filter: null,
    group_objectclass: 'groupOfNames',
    group_id_attribute: 'cn',
    group_name_attribute: 'ou',
    group_member_attribute: 'member',
    group_members_are_ids: false,
    group_desc_attribute: 'description',
    group_attribute_ignore: [],
    group_additional_attribute_mapping: [],
    tls_cacertfile: null,
    tls_cacertdir: null,
    use_tls: false,
    tls_req_cert: 'demand',
    use_pool: true,
    pool_size: 10,
    pool_retry_max: 3,
    pool_retry_delay: 0.1,
    pool_connection_timeout: -1,
    pool_connection_lifetime: 600,
    use_auth_pool: true,
    auth_pool_size: 100,
    auth_pool_connection_lifetime: 60,
  },
};

/** Accepted but never shown back (Keystone keeps them apart, encrypted). */
const SENSITIVE: Record<string, readonly string[]> = { identity: [], ldap: ['password'] };

/** Keystone answers 403 for a group or option outside the whitelist. */
export function checkOption(group: string, option?: string): void {
  const known = DOMAIN_CONFIG_DEFAULTS[group];
  if (!known) {
    throw forbidden('identity.invalid_domain_config', `Invalid domain specific configuration: group ${group}.`);
  }
  if (option !== undefined && !(option in known) && !SENSITIVE[group]?.includes(option)) {
    throw forbidden(
      'identity.invalid_domain_config',
      `Invalid domain specific configuration: option ${option} in group ${group}.`,
    );
  }
}

export function isSensitive(group: string, option: string): boolean {
  return SENSITIVE[group]?.includes(option) ?? false;
}

/** Splits a validated config into shown and sensitive parts; every group must be an object of whitelisted options. */
export function splitConfig(config: Record<string, unknown>): { config: Groups; sensitive: Groups } {
  const shown: Groups = {};
  const sensitive: Groups = {};
  for (const [group, opts] of Object.entries(config)) {
    checkOption(group);
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
      throw badRequest('identity.invalid_domain_config', `Invalid input for field/attribute config.${group}.`);
    }
    for (const [option, value] of Object.entries(opts)) {
      checkOption(group, option);
      const into = isSensitive(group, option) ? sensitive : shown;
      into[group] = { ...(into[group] ?? {}), [option]: value };
    }
  }
  return { config: shown, sensitive };
}

/** Merges `update` into `base` group by group, option by option. */
export function mergeGroups(base: Groups, update: Groups): Groups {
  const out: Groups = { ...base };
  for (const [g, opts] of Object.entries(update)) out[g] = { ...(out[g] ?? {}), ...opts };
  return out;
}
