import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { ROOT } from '../helpers/paths.js';

// deploy/kubernetes.yaml is documentation that must not rot: its settings are ones the config
// reads (and validates), its probes are the server's, and the liveness probe keeps the kubelet's
// 1 s timeout that the worker threads make safe during an ingest.
type Manifest = { kind: string; data?: Record<string, string>; spec?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

test('the Kubernetes example: known settings that validate, the server probes, a 1 s liveness timeout', async () => {
  const text = await readFile(path.join(ROOT, 'deploy', 'kubernetes.yaml'), 'utf8');
  const manifests = parseAllDocuments(text).map((document) => document.toJSON() as Manifest);
  const configMap = manifests.find((manifest) => manifest.kind === 'ConfigMap')!;
  const deployment = manifests.find((manifest) => manifest.kind === 'Deployment')!;
  const container = deployment.spec.template.spec.containers[0];
  const env: Record<string, string> = { ...configMap.data!, MILVUS_RAG_LLM_API_KEY: 'sk-example' };
  for (const item of container.env as Array<{ name: string }>) assert.ok(item.name in env, `${item.name} is set`);

  const source = await readFile(path.join(ROOT, 'src', 'config', 'load-config.ts'), 'utf8');
  for (const name of Object.keys(env)) assert.ok(source.includes(`'${name}'`), `${name} is read by loadConfig`);
  const config = await loadConfig({ cwd: ROOT, env, flags: {} });
  assert.equal(config.uri, configMap.data!.MILVUS_RAG_URI);
  assert.equal(config.collection, 'team_docs');
  assert.equal(config.server.logLevel, 'info');
  assert.equal(config.server.keysFile, '/etc/milvus-rag/keys.jsonl');

  assert.equal(container.livenessProbe.httpGet.path, '/health/live');
  assert.equal(container.livenessProbe.timeoutSeconds, 1);
  assert.equal(container.readinessProbe.httpGet.path, '/health/ready');
  const routes = await readFile(path.join(ROOT, 'src', 'server', 'routes', 'status.ts'), 'utf8');
  for (const probe of ['/health/live', '/health/ready']) assert.ok(routes.includes(`path: '${probe}'`), `${probe} is a route`);
  const dockerfile = await readFile(path.join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /"serve", "--host", "0.0.0.0"/);
});
