/**
 * Neutron's exceptions as BrumeErrors: `type` is Neutron's exception class name (NeutronError.type), the message
 * is Neutron's text so clients that show it read familiar words.
 */
import { BrumeError, type ErrorKind } from '../../shared/errors.ts';

const err = (kind: ErrorKind, code: string, type: string, message: string) =>
  new BrumeError(kind, `network.${code}`, message, { type });

/** 400 InvalidInput ("Invalid input for operation: …"). */
export const invalidInput = (message: string) =>
  err('bad_request', 'invalid_input', 'InvalidInput', `Invalid input for operation: ${message}.`);

/** 400 for a malformed attribute (Neutron's attribute validators). */
export const badAttribute = (attr: string, reason: string) =>
  err('bad_request', 'invalid_attribute', 'HTTPBadRequest', `Invalid input for ${attr}. Reason: ${reason}.`);

/** 400 for a request Neutron rejects with its generic BadRequest. */
export const badRequestOf = (resource: string, message: string) =>
  err('bad_request', 'bad_request', 'BadRequest', `Bad ${resource} request: ${message}.`);

/** 403 PolicyNotAuthorized. */
export const policyDenied = (what: string) =>
  err('forbidden', 'policy_denied', 'PolicyNotAuthorized', `(${what}) is disallowed by policy.`);

/** 404 for a resource the caller cannot see or that does not exist. */
export const notFoundOf = (type: string, message: string) => err('not_found', 'not_found', type, message);

export const networkNotFound = (id: string) => notFoundOf('NetworkNotFound', `Network ${id} could not be found.`);
export const subnetNotFound = (id: string) => notFoundOf('SubnetNotFound', `Subnet ${id} could not be found.`);
export const portNotFound = (id: string) => notFoundOf('PortNotFound', `Port ${id} could not be found.`);
export const securityGroupNotFound = (id: string) =>
  notFoundOf('SecurityGroupNotFound', `Security group ${id} does not exist`);
export const securityGroupRuleNotFound = (id: string) =>
  notFoundOf('SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`);
export const routerNotFound = (id: string) => notFoundOf('RouterNotFound', `Router ${id} could not be found`);
export const floatingIpNotFound = (id: string) =>
  notFoundOf('FloatingIPNotFound', `Floating IP ${id} could not be found`);

/** 409 with Neutron's type. */
export const conflictOf = (type: string, message: string) => err('conflict', 'conflict', type, message);

export const ipAlreadyAllocated = (ip: string, subnetId: string) =>
  conflictOf('IpAddressAlreadyAllocated', `IP address ${ip} already allocated in subnet ${subnetId}`);
export const ipGenerationFailure = (networkId: string) =>
  conflictOf('IpAddressGenerationFailure', `No more IP addresses available on network ${networkId}.`);

/** 400 with Neutron's type. */
export const badRequestTyped = (type: string, message: string) => err('bad_request', 'bad_request', type, message);
