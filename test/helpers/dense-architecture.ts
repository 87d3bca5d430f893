// A test-only architecture, registered on import: a small dense block (each layer reads the concat of all
// earlier outputs, as the planned Dense IndRNN does) and a transition with a skip connection. It is one
// registry entry and nothing else, and the tests of the built-in architectures take it as they are: the
// whole-network gradient check (nn-gradcheck) and the ONNX parity (onnx-export).
import { registerArchitecture } from '../../src/nn/architectures.js';

export const TEST_DENSE = 'test-dense';

registerArchitecture(TEST_DENSE, {
  trunk(p, c) {
    const H = c.hiddenSize;
    const stem = p.linear(p.input, 'stem.fc', H);
    const features = [p.recurrent(stem, 'stem')]; // its batch norm folds into every Linear that reads it
    for (let i = 0; i < c.depth; i++) {
      const x = features.length === 1 ? features[0] : p.concat(features, `dense.${i}.in`);
      features.push(p.recurrent(p.linear(x, `dense.${i}.fc`, H), `dense.${i}`));
    }
    const transition = p.linear(p.concat(features, 'transition.in'), 'transition.fc', H);
    return p.recurrent(p.add(transition, stem, 'transition.skip'), 'transition');
  },
});
