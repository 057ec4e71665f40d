import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../../test/helpers/temp.js';
import { SetupError } from '../errors.js';
import { readSetupRecord } from '../internal/home.js';
import { packageRoot } from '../internal/package-root.js';
import { runSetup, type SetupEvent } from './setup.js';

describe('runSetup', () => {
  test('no usable Python: a SetupError naming it and how to get one; nothing recorded', async () => {
    const home = await tempDir();
    const events: SetupEvent[] = [];
    const missing = path.join(home, 'no-such-python');
    await assert.rejects(
      runSetup({ home, bootstrapPython: missing, model: false, onEvent: (event) => events.push(event) }),
      (error: unknown) => {
        assert.ok(error instanceof SetupError, String(error));
        assert.equal(error.code, 'setup.python-missing');
        assert.ok(error.message.includes(missing), error.message);
        assert.match(error.message, /python3-venv|--python/);
        return true;
      },
    );
    assert.deepEqual(
      events.map((event) => [event.type, event.step]),
      [['start', 'milvus-lite']],
    );
    assert.equal(readSetupRecord(home), undefined);
    assert.equal(existsSync(path.join(home, 'venv')), false);
  });

  test('a model folder that does not exist is refused before anything is downloaded', async () => {
    const home = await tempDir();
    // The repo's .venv (scripts/setup.sh made it with this code): already right, so nothing is installed.
    const venv = path.join(packageRoot(), '.venv');
    const missing = path.join(home, 'no-model');
    await assert.rejects(runSetup({ home, venv, model: { kind: 'path', path: missing } }), (error: unknown) => {
      assert.ok(error instanceof SetupError, String(error));
      assert.equal(error.code, 'setup.model-path');
      assert.ok(error.message.includes(missing), error.message);
      return true;
    });
    // The steps before the model are kept: the record names the Python environment.
    assert.equal(readSetupRecord(home)?.python, path.join(path.resolve(venv), 'bin', 'python'));
    assert.equal(readSetupRecord(home)?.model, undefined);
  });
});
