/**
 * `@swapbench/core/simulator`: a loopback llama-server, or llama-swap with several models, that streams in
 * llama-server's exact shapes at the speeds you give it, with injectable faults and a ground-truth log of
 * when it wrote each token. For tests, the demo, and trying swapbench without a GPU.
 */
export { startSimulator } from './server.js';
export { applyTemplate, tokenizeText, type TemplateMessage, type TokenizeOptions } from './tokenizer.js';
export {
  DEFAULT_MODEL_PROFILE,
  type Fault,
  type FaultKind,
  type ForeignTraffic,
  type GroundTruthRequest,
  type ModelProfile,
  type SimulatedModel,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
} from './types.js';
