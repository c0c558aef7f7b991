import { formatDuration } from '../duration.js';
import type { Fleet, FleetInput } from '../model/index.js';

/**
 * The fleet as a file holds it. The model's durations are milliseconds once parsed but
 * strings like `5m30s` when written, and the schema only reads strings, so a parsed fleet
 * must have them formatted back before `Fleet.parse` (or `hvpatch validate`) accepts it.
 * Everything else is already in its written form and is shared, not copied.
 */
export function fleetToDocument(fleet: Fleet): FleetInput {
  return {
    ...fleet,
    hosts: fleet.hosts.map((host) => ({ ...host, rebootDuration: formatDuration(host.rebootDuration) })),
    services: fleet.services.map((service) => ({
      ...service,
      noticePeriod: formatDuration(service.noticePeriod),
    })),
  };
}
