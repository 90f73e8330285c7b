/** The tsbpf library: the public API re-exported from its layers. */
export { TsbpfError, describeError } from './errors.js';
