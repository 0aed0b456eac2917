export * from './Job';
export * from './jobStateMachine';
export * from './ports';
export * from './errors';
