/**
 * The edge's built-in presets (edge/config.ts, used when PRESETS is unset) are the ones shared/
 * exports as DEFAULT_PRESETS, which `npm run sign` and the README use.
 */
import { describe, expect, it } from 'vitest';
import { parseEdgeConfig } from '../../edge/config.js';
import { compilePresets, DEFAULT_PRESETS } from '../../shared/options/index.js';
import { makeEnv } from './helpers.js';

describe('default presets', () => {
  it('the edge without PRESETS has exactly shared DEFAULT_PRESETS', () => {
    const edge = parseEdgeConfig(makeEnv({ PRESETS: '' })).presets;
    const shared = compilePresets(DEFAULT_PRESETS);
    expect(edge.names.sort()).toEqual(shared.names.sort());
    for (const name of shared.names)
      expect(edge.get(name)?.canonical, name).toBe(shared.get(name)?.canonical);
  });
});
