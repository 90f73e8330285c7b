/** The loader: BPF objects into the kernel, with typed access to their programs, maps and globals. */
export { loadObject, loadObjectSync, loadModel, kernelProgName, type LoadOptions } from './load.js';
export { LoadedObject } from './object.js';
export { Program, type TestRunOptions, type TestRunOutcome } from './program.js';
export { LoadError } from './errors.js';
export { type LogOption } from './log.js';
export { kernelMapName, type ConstantValue } from './maps.js';
export { linkProgram, type LinkedProgram } from './link.js';
export { sanitizedBuilder } from './btf.js';
