/**
 * The fault suite (`npm run test:faults`): test/faults/ only, one file at a time, with the
 * seed from FAULT_SEED. The main `jest` run leaves test/faults/ out (jest.config.js), so
 * `npm test` runs it on its own, once per seed (`npm run test:faults:seeds`).
 * @type {import('jest').Config}
 */
const main = require('./jest.config.js');

module.exports = {
  ...main,
  roots: ['<rootDir>/test/faults'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300000,
};
