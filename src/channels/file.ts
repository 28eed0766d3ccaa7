import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { channelDefinitionInput, definitionOf } from './input.js';
import type { ChannelDefinition } from './model.js';
import { createChannelRegistry } from './registry.js';
import { createMemoryChannelStore } from './store.memory.js';

/**
 * Reads CHANNELS_FILE: YAML or JSON, a list of channel definitions (or an
 * object `{ channels: [...] }`), each as `defineChannel` takes it:
 *
 * ```yaml
 * - name: sensors
 *   description: Sensor heartbeats
 *   retentionCount: 50000
 *   defaultPriority: LOW
 *   types:
 *     - name: sensor.heartbeat
 *       schema: { type: object, required: [sensorId], properties: { sensorId: { type: string } } }
 * ```
 *
 * Throws one line naming the file and the first problem, including a schema
 * that does not compile.
 */
export function loadChannelsFile(path: string): ChannelDefinition[] {
  let raw: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`CHANNELS_FILE ${path}: ${(err as Error).message.split('\n', 1)[0]}`);
  }
  const list = Array.isArray(raw) ? raw : typeof raw === 'object' && raw !== null && Array.isArray((raw as { channels?: unknown }).channels) ? (raw as { channels: unknown[] }).channels : undefined;
  if (!list) throw new Error(`CHANNELS_FILE ${path}: must be a list of channels (or { channels: [...] })`);
  const definitions = list.map((entry, index) => {
    const parsed = channelDefinitionInput.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`CHANNELS_FILE ${path}: channel ${index}${issue.path.length ? `.${issue.path.join('.')}` : ''} ${issue.message}`);
    }
    return definitionOf(parsed.data);
  });
  const names = definitions.map((d) => d.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) throw new Error(`CHANNELS_FILE ${path}: channel ${twice} is defined twice`);
  // Compiles every schema now, so a bad one stops the start rather than the first publish.
  const check = createChannelRegistry({ store: createMemoryChannelStore(), fileChannels: [], retention: { count: 1, seconds: 1 } });
  for (const definition of definitions) {
    try {
      check.check(definition);
    } catch (err) {
      throw new Error(`CHANNELS_FILE ${path}: channel ${definition.name}: ${(err as Error).message}`);
    }
  }
  return definitions;
}
