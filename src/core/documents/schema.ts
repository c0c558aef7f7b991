import { z } from 'zod';
import { Fleet, Policy } from '../model/index.js';

/** JSON Schema for editors and other tools, generated from the same zod schemas that validate. */
export function jsonSchemaFor(kind: 'fleet' | 'policy'): Record<string, unknown> {
  const schema = z.toJSONSchema(kind === 'fleet' ? Fleet : Policy, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  });
  return {
    ...schema,
    $id: `https://hvpatch.dev/schemas/${kind}.schema.json`,
    title: kind === 'fleet' ? 'hvpatch fleet inventory' : 'hvpatch policy',
  };
}
