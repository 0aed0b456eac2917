#!/usr/bin/env node
// The `infer` bin: runs the TypeScript CLI through tsx's require hook, so no build step is needed.
require('tsx/cjs');
require('./infer.ts');
