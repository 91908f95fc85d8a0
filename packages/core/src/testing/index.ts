/** Test helpers: a scripted fake transport on a virtual clock. */
export { createVirtualClock, type VirtualClock } from './virtual-clock.js';
export {
  createFakeTransport,
  fakeTokenCount,
  type FakeCall,
  type FakeResponse,
  type FakeTransport,
  type FakeTransportOptions,
} from './fake-transport.js';
