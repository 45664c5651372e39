/** The resource types this site's orchestration knows, by Heat type name. */
import { cinderVolume, cinderVolumeAttachment } from './cinder.ts';
import { heatCloudConfig, heatMultipartMime, heatSoftwareConfig, heatValue } from './config.ts';
import { heatNone, heatRandomString, heatResourceGroup, heatTestResource } from './heat.ts';
import { neutronNet, neutronPort, neutronSubnet } from './neutron.ts';
import {
  neutronFloatingIp,
  neutronFloatingIpAssociation,
  neutronRouter,
  neutronRouterInterface,
  neutronSecurityGroup,
} from './neutron-l3.ts';
import { novaKeyPair, novaServer } from './nova.ts';
import type { ResourceType } from './types.ts';
import { heatWaitCondition, heatWaitConditionHandle } from './wait.ts';

/** Every supported type. */
export const RESOURCE_TYPES: ReadonlyMap<string, ResourceType> = new Map<string, ResourceType>([
  ['OS::Nova::Server', novaServer],
  ['OS::Nova::KeyPair', novaKeyPair],
  ['OS::Neutron::Net', neutronNet],
  ['OS::Neutron::Subnet', neutronSubnet],
  ['OS::Neutron::Port', neutronPort],
  ['OS::Neutron::Router', neutronRouter],
  ['OS::Neutron::RouterInterface', neutronRouterInterface],
  ['OS::Neutron::FloatingIP', neutronFloatingIp],
  ['OS::Neutron::FloatingIPAssociation', neutronFloatingIpAssociation],
  ['OS::Neutron::SecurityGroup', neutronSecurityGroup],
  ['OS::Cinder::Volume', cinderVolume],
  ['OS::Cinder::VolumeAttachment', cinderVolumeAttachment],
  ['OS::Heat::RandomString', heatRandomString],
  ['OS::Heat::ResourceGroup', heatResourceGroup],
  ['OS::Heat::None', heatNone],
  ['OS::Heat::TestResource', heatTestResource],
  ['OS::Heat::SoftwareConfig', heatSoftwareConfig],
  ['OS::Heat::CloudConfig', heatCloudConfig],
  ['OS::Heat::MultipartMime', heatMultipartMime],
  ['OS::Heat::Value', heatValue],
  ['OS::Heat::WaitConditionHandle', heatWaitConditionHandle],
  ['OS::Heat::WaitCondition', heatWaitCondition],
]);
