// Models and configs from before user layouts keep working: a preprocessing config that names only a
// built-in layout (no joints, no dims) still parses and sizes the input; a user layout's config must say
// how many joints it has; a stored layout is taken whole, or by name when it is built in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layoutJson, parseLayout, storedLayout } from '../src/data/layout-file.js';
import { getLayout } from '../src/data/layouts.js';
import { inputDims, parsePreprocessConfig } from '../src/data/preprocess.js';
import { STICK_LAYOUT } from './helpers/own-data.js';

const OLD_NTU = {
  version: 1,
  layout: 'ntu25',
  bodies: 2,
  root: [0],
  torsoTop: [20],
  leftRight: [
    [4, 8],
    [12, 16],
  ],
  center: 'first-frame',
  viewAlign: 'yaw',
  scaleNorm: true,
};

describe('layouts: compatibility and stored form', () => {
  it('an old ntu25 preprocessing config (layout name only) parses and gives 150 values per frame', () => {
    const cfg = parsePreprocessConfig(OLD_NTU);
    assert.deepEqual(inputDims(cfg), { bodies: 2, joints: 25, frameSize: 150, inputSize: 150, features: null });
  });

  it("a user layout's config must carry its joint count; a wrong count for a built-in layout is refused", () => {
    assert.throws(
      () => parsePreprocessConfig({ ...OLD_NTU, layout: 'stick7' }),
      /joints: required for layout 'stick7'/,
    );
    assert.throws(() => parsePreprocessConfig({ ...OLD_NTU, joints: 20 }), /joints: 20, but layout ntu25 has 25/);
    const cfg = parsePreprocessConfig({
      ...OLD_NTU,
      layout: 'stick7',
      joints: 7,
      bodies: 1,
      root: [0],
      torsoTop: [1],
      leftRight: [[3, 4]],
    });
    assert.deepEqual(inputDims(cfg), { bodies: 1, joints: 7, frameSize: 21, inputSize: 21, features: null });
    assert.throws(
      () =>
        parsePreprocessConfig({
          ...OLD_NTU,
          layout: 'stick7',
          joints: 7,
          bodies: 1,
          root: [9],
          torsoTop: [1],
          leftRight: [[3, 4]],
        }),
      /joint 9 is outside layout stick7 \(0\.\.6\)/,
    );
  });

  it('a stored layout round-trips; built-in names resolve without a description; an unknown one needs it', () => {
    const stick = parseLayout(STICK_LAYOUT, 'stick7.layout.json');
    assert.deepEqual(storedLayout('stick7', layoutJson(stick), 'model.onnx'), stick);
    assert.equal(storedLayout('kinect20', undefined, 'old.cache'), getLayout('kinect20'));
    assert.throws(() => storedLayout('stick7', undefined, 'x.cache'), /x\.cache: layout 'stick7' is not built in/);
    assert.throws(
      () => storedLayout('stick8', layoutJson(stick), 'x.cache'),
      /named 'stick8', its description 'stick7'/,
    );
  });
});
