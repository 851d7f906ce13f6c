import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { configSchema } from '../../src/config.js';

const readme = readFileSync('README.md', 'utf8');
const example = readFileSync('.dev.vars.example', 'utf8');
const settings = Object.keys(configSchema.shape);

it.each(settings)('documents the setting %s in the README table and .dev.vars.example', (name) => {
  expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
});

it('keeps the two set-up commands in the README and .ci/run on the README test command', () => {
  expect(readme).toContain('npm install && npm start');
  expect(readme).toMatch(/^npm test\s/m);
  const ci = readFileSync('.ci/run', 'utf8');
  expect(ci).toMatch(/^npm ci$/m);
  expect(ci.trimEnd()).toMatch(/\nnpm test$/); // exactly the README's test command, last
});
