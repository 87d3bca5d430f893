// Sample names, standard splits, the missing-skeleton list and the joint layouts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getLayout, LAYOUT_NAMES } from '../src/data/layouts.js';
import { isMutualAction, ntuActionId, ntuActionName } from '../src/data/ntu-actions.js';
import { NTU60_MISSING_SKELETONS } from '../src/data/ntu-missing.js';
import { formatNtuName, parseNtuName } from '../src/data/ntu-name.js';
import { hasMissingSkeleton, parseSplitName, splitPart } from '../src/data/splits.js';

const n = (s: string) => parseNtuName(s)!;

describe('NTU sample names', () => {
  it('parses the five fields from a path and formats them back', () => {
    const m = parseNtuName('/data/nturgb+d_skeletons/S017C003P020R002A060.skeleton');
    assert.deepEqual(m, { setup: 17, camera: 3, performer: 20, replication: 2, action: 60 });
    assert.equal(formatNtuName(m!), 'S017C003P020R002A060');
  });

  it('returns null for other names', () => {
    assert.equal(parseNtuName('clip-01.skeleton'), null);
    assert.throws(() => formatNtuName({ setup: 1000, camera: 1, performer: 1, replication: 1, action: 1 }), RangeError);
  });

  it('knows the action names and the two-person actions', () => {
    assert.equal(ntuActionName(8), 'sitting down');
    assert.equal(ntuActionName(120), 'finger-guessing game (playing rock-paper-scissors)');
    assert.equal(ntuActionId('Hand Waving'), 23);
    assert.ok(isMutualAction(58) && isMutualAction(106) && !isMutualAction(49));
    assert.throws(() => ntuActionName(121), RangeError);
  });
});

describe('standard splits', () => {
  it('NTU-60 cross-subject: training performers 1 2 4 5 8 ... 38', () => {
    assert.equal(splitPart(n('S001C001P001R001A001'), 'ntu60-xsub'), 'train');
    assert.equal(splitPart(n('S001C001P003R001A001'), 'ntu60-xsub'), 'test');
    assert.equal(splitPart(n('S001C001P038R001A001'), 'ntu60-xsub'), 'train');
    assert.equal(splitPart(n('S001C001P040R001A001'), 'ntu60-xsub'), 'test');
  });

  it('NTU-60 cross-view: cameras 2 and 3 train, camera 1 tests', () => {
    assert.equal(splitPart(n('S005C001P001R001A001'), 'ntu60-xview'), 'test');
    assert.equal(splitPart(n('S005C002P003R001A001'), 'ntu60-xview'), 'train');
    assert.equal(splitPart(n('S005C003P003R001A001'), 'ntu60-xview'), 'train');
  });

  it('NTU-60 splits leave NTU-120 samples out; NTU-120 cross-setup trains on even setups', () => {
    assert.equal(splitPart(n('S018C001P001R001A001'), 'ntu60-xsub'), null);
    assert.equal(splitPart(n('S001C001P001R001A061'), 'ntu60-xview'), null);
    assert.equal(splitPart(n('S018C001P003R001A061'), 'ntu120-xset'), 'train');
    assert.equal(splitPart(n('S019C001P001R001A061'), 'ntu120-xset'), 'test');
    assert.equal(splitPart(n('S019C001P103R001A061'), 'ntu120-xsub'), 'train');
    assert.equal(splitPart(n('S019C001P104R001A061'), 'ntu120-xsub'), 'test');
  });

  it('lists the 302 NTU-60 samples with missing skeletons', () => {
    assert.equal(NTU60_MISSING_SKELETONS.size, 302);
    assert.ok(hasMissingSkeleton('S001C002P005R002A008'));
    assert.ok(hasMissingSkeleton('S017C003P020R001A059'));
    assert.ok(!hasMissingSkeleton('S001C001P001R001A001'));
    for (const id of NTU60_MISSING_SKELETONS) assert.ok(parseNtuName(id), id);
  });

  it('rejects an unknown split name with the list of known ones', () => {
    assert.throws(
      () => parseSplitName('xsub'),
      /unknown split 'xsub' \(known: ntu60-xsub, ntu60-xview, ntu120-xsub, ntu120-xset\)/,
    );
  });
});

describe('joint layouts', () => {
  it('every layout is one tree: a single root, parents in range, no cycles, anchors in range', () => {
    const sizes: Record<string, number> = {
      ntu25: 25,
      kinect20: 20,
      coco17: 17,
      mediapipe33: 33,
      openpose18: 18,
      openpose25: 25,
      penn13: 13,
    };
    for (const name of LAYOUT_NAMES) {
      const l = getLayout(name);
      assert.equal(l.joints.length, sizes[name], name);
      assert.equal(l.parents.length, l.joints.length, name);
      assert.equal(l.parents.filter((p) => p === -1).length, 1, `${name}: one root`);
      for (let j = 0; j < l.joints.length; j++) {
        let k = j;
        for (let steps = 0; l.parents[k] !== -1; steps++) {
          assert.ok(steps < l.joints.length, `${name}: cycle through joint ${j}`);
          k = l.parents[k];
          assert.ok(k >= 0 && k < l.joints.length, `${name}: parent of ${j} out of range`);
        }
      }
      for (const j of [...l.root, ...l.torsoTop, ...l.leftRight.flat()]) assert.ok(j < l.joints.length, name);
    }
  });

  it('matches the Kinect v2 parents from the NTU documentation', () => {
    const l = getLayout('ntu25');
    assert.equal(l.joints[20], 'SpineShoulder');
    assert.equal(l.parents[0], -1);
    assert.equal(l.parents[3], 2); // Head -> Neck
    assert.equal(l.parents[21], 7); // HandTipLeft -> HandLeft
    assert.equal(l.parents[2], 20); // Neck -> SpineShoulder
  });

  it('names the known layouts when asked for another', () => {
    assert.throws(() => getLayout('kinect'), /unknown joint layout 'kinect'/);
  });
});
