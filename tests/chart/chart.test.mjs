// Chart suite (issue 5): real helm, rendered objects validated against the Kubernetes, KEDA and
// prometheus-operator schemas, and every contract of the chart asserted.
//   node chart.test.mjs TOOLS_DIR CHART_DIR PART      (PART: lint | render | schema)
// TOOLS_DIR comes from tools.sh. Uses node's own test runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const [toolsDir, chartDir, part] = process.argv.slice(2);
if (!toolsDir || !chartDir || !['lint', 'render', 'schema'].includes(part)) {
  console.error('usage: chart.test.mjs TOOLS_DIR CHART_DIR lint|render|schema');
  process.exit(2);
}
const helmBin = path.join(toolsDir, 'bin', 'helm');
const nodeModules = path.join(toolsDir, 'node', 'node_modules');
const load = (rel) => import(pathToFileURL(path.join(nodeModules, rel)).href);
const YAML = await load('yaml/dist/index.js');

// helm keeps its caches under HOME; give it a throwaway one so the suite touches nothing of the user's.
const helmHome = mkdtempSync(path.join(tmpdir(), 'mpegflow-helm-'));
process.on('exit', () => rmSync(helmHome, { recursive: true, force: true }));
const helmEnv = { ...process.env, HOME: helmHome, HELM_CACHE_HOME: path.join(helmHome, 'cache'),
  HELM_CONFIG_HOME: path.join(helmHome, 'config'), HELM_DATA_HOME: path.join(helmHome, 'data') };

function helm(args) {
  const r = spawnSync(helmBin, args, { env: helmEnv, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const RELEASE = 'mf';
const NAMESPACE = 'media';
const ciDir = path.join(chartDir, 'ci');
const scenarios = ['(defaults)', ...readdirSync(ciDir).filter((f) => f.endsWith('-values.yaml')).sort()];
const valuesArgs = (s) => (s === '(defaults)' ? [] : ['-f', path.join(ciDir, s)]);

function render(extraArgs = [], scenario = '(defaults)') {
  const r = helm(['template', RELEASE, chartDir, '--namespace', NAMESPACE, ...valuesArgs(scenario), ...extraArgs]);
  if (r.code !== 0) throw new Error(`helm template ${scenario} failed:\n${r.err}`);
  return YAML.parseAllDocuments(r.out).map((d) => d.toJS()).filter((d) => d && d.kind);
}

// The values a scenario ends up with, computed here independently of the templates: the oracle.
const defaults = YAML.parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8'));
function valuesOf(scenario) {
  const over = scenario === '(defaults)' ? {} : YAML.parse(readFileSync(path.join(ciDir, scenario), 'utf8'));
  const merge = (a, b) => {
    if (Array.isArray(b) || typeof b !== 'object' || b === null) return b;
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in (a ?? {}) ? merge(a[k], v) : v;
    return out;
  };
  const v = merge(defaults, over);
  v.mergedPools = v.pools.map((p) => ({ ...v.poolDefaults, ...p }));
  return v;
}

// ---- schema validation of every rendered object --------------------------------------------------
const modelModules = {
  'v1': 'kubernetes-models/v1/index.js',
  'apps/v1': 'kubernetes-models/apps/v1/index.js',
  'policy/v1': 'kubernetes-models/policy/v1/index.js',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1/index.js',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1/index.js',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/index.js',
};
async function validateObject(obj) {
  const mod = modelModules[obj.apiVersion];
  assert.ok(mod, `${obj.kind}/${obj.metadata?.name}: no schema for apiVersion ${obj.apiVersion}`);
  const Model = (await load(mod))[obj.kind];
  assert.ok(Model, `${obj.apiVersion} has no kind ${obj.kind}`);
  try {
    new Model(obj).validate();
  } catch (e) {
    throw new Error(`${obj.kind}/${obj.metadata.name} does not match its schema: ${e.message}`);
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const find = (objs, kind, name) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const all = (objs, kind) => objs.filter((o) => o.kind === kind);
const envMapOf = (objs, podSpec) => {
  const c = podSpec.containers[0];
  const env = {};
  for (const src of c.envFrom ?? []) Object.assign(env, find(objs, 'ConfigMap', src.configMapRef.name).data);
  for (const e of c.env ?? []) env[e.name] = e.value ?? e.valueFrom;
  return env;
};
const SECRET_ENV = ['MPEGFLOW_REDIS_PASSWORD', 'MPEGFLOW_STORAGE_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

// Every contract of the issue, checked on one scenario's objects against its values.
function checkScenario(objs, v, scenario) {
  const full = `${RELEASE}-mpegflow`;
  const grace = v.worker.drainTimeoutSeconds + v.worker.terminationGraceMarginSeconds;

  // No Secret is ever rendered: credentials only by reference.
  assert.equal(all(objs, 'Secret').length, 0, 'the chart must not render Secrets');
  for (const o of objs) {
    assert.ok(o.metadata.name.length <= 63 && DNS1123_LABEL.test(o.metadata.name), `bad name ${o.metadata.name}`);
  }

  const sa = find(objs, 'ServiceAccount', full);
  assert.ok(sa, 'ServiceAccount');
  assert.equal(sa.automountServiceAccountToken, false, 'ServiceAccount must not mount a token');

  for (const pool of v.mergedPools) {
    const name = `${full}-${pool.name}`;
    const stream = `${v.redis.keyPrefix}queue:${pool.name}`;
    const gpu = pool.gpu > 0;
    const cm = find(objs, 'ConfigMap', name);
    assert.ok(cm, `ConfigMap ${name}`);

    // The worker environment (DESIGN section 3).
    const d = cm.data;
    assert.equal(d.MPEGFLOW_POOL, pool.name, 'the worker serves its pool');
    assert.equal(d.MPEGFLOW_REDIS_PREFIX, v.redis.keyPrefix);
    const r = v.redis;
    const url = r.sentinel.enabled ? `redis-sentinel://${r.sentinel.addresses.join(',')}/${r.sentinel.masterName}/${r.db}`
      : `${r.tls.enabled ? 'rediss' : 'redis'}://${r.host}:${r.port}/${r.db}`;
    assert.equal(d.MPEGFLOW_REDIS_URL, url, 'URL without password');
    // TLS, ACL user: files mounted from the Secrets/ConfigMap named in the values.
    const tlsOn = r.tls.enabled;
    assert.equal(d.MPEGFLOW_REDIS_USERNAME, r.username || undefined);
    assert.equal(d.MPEGFLOW_REDIS_CA, tlsOn && (r.tls.caSecret || r.tls.caConfigMap)
      ? `/etc/mpegflow/redis-ca/${r.tls.caKey}` : undefined);
    assert.equal(d.MPEGFLOW_REDIS_CERT, tlsOn && r.tls.clientCertSecret ? '/etc/mpegflow/redis-client/tls.crt' : undefined);
    assert.equal(d.MPEGFLOW_REDIS_KEY, tlsOn && r.tls.clientCertSecret ? '/etc/mpegflow/redis-client/tls.key' : undefined);
    assert.equal(d.MPEGFLOW_REDIS_SNI, (tlsOn && r.tls.serverName) || undefined);
    assert.equal(d.MPEGFLOW_REDIS_TLS_INSECURE, tlsOn && r.tls.insecureSkipVerify ? '1' : undefined);
    assert.equal(d.MPEGFLOW_STORAGE_URL, v.storage.url);
    assert.equal(d.MPEGFLOW_STORAGE_AUTH, v.storage.auth);
    assert.equal(d.MPEGFLOW_BACKEND, pool.backend);
    assert.equal(d.MPEGFLOW_CONCURRENCY, String(pool.mode === 'job' ? 1 : pool.concurrency));
    assert.equal(d.MPEGFLOW_DRAIN_TIMEOUT, String(v.worker.drainTimeoutSeconds));
    assert.equal(d.MPEGFLOW_HTTP_ADDR, `0.0.0.0:${v.worker.httpPort}`);
    assert.equal(d.MPEGFLOW_SCRATCH_DIR, v.worker.scratchDir);
    assert.equal(d.MPEGFLOW_LOG_FORMAT, v.worker.logFormat);
    assert.equal(d.MPEGFLOW_MAX_ATTEMPTS, String(v.worker.maxAttempts));
    assert.equal(d.MPEGFLOW_CLAIM_TIMEOUT, String(v.worker.claimTimeoutSeconds));
    if (pool.backendFallback) assert.equal(d.MPEGFLOW_BACKEND_FALLBACK, pool.backendFallback);
    if (v.storage.auth === 'sigv4') assert.equal(d.AWS_REGION, v.storage.region);
    for (const k of SECRET_ENV) assert.ok(!(k in d), `${k} must not be in a ConfigMap`);
    for (const val of Object.values(d)) assert.ok(!/:\/\/[^/]*@/.test(val), `credentials in a URL: ${val}`);

    // The workload: Deployment + ScaledObject, or ScaledJob.
    let podTemplate;
    let trigger;
    if (pool.mode === 'job') {
      assert.ok(!find(objs, 'Deployment', name), `job pool ${pool.name} has no Deployment`);
      const sj = find(objs, 'ScaledJob', name);
      assert.ok(sj, `ScaledJob ${name}`);
      assert.equal(sj.spec.rollout?.strategy, 'gradual', 'ScaledJob rollout must be gradual');
      assert.equal(sj.spec.scalingStrategy?.strategy, 'default', 'XLEN already counts running jobs');
      assert.equal(sj.spec.maxReplicaCount, pool.maxReplicas);
      assert.equal(sj.spec.jobTargetRef.backoffLimit, 0);
      podTemplate = sj.spec.jobTargetRef.template;
      assert.deepEqual(podTemplate.spec.containers[0].args, ['worker', '--max-jobs', '1']);
      assert.equal(podTemplate.spec.restartPolicy, 'Never');
      [trigger] = sj.spec.triggers;
      assert.equal(trigger.metadata.streamLength, '1', 'one Job per entry');
      assert.ok(!find(objs, 'PodDisruptionBudget', name), 'no PDB for Job pods');
    } else {
      const dep = find(objs, 'Deployment', name);
      assert.ok(dep, `Deployment ${name}`);
      assert.ok(!find(objs, 'ScaledJob', name));
      podTemplate = dep.spec.template;
      assert.deepEqual(podTemplate.spec.containers[0].args, ['worker']);
      const sel = dep.spec.selector.matchLabels;
      for (const [k, val] of Object.entries(sel)) assert.equal(podTemplate.metadata.labels[k], val);
      assert.equal(sel['mpegflow.io/pool'], pool.name);
      const pdb = find(objs, 'PodDisruptionBudget', name);
      assert.ok(pdb, `PodDisruptionBudget ${name}`);
      assert.deepEqual(pdb.spec.selector.matchLabels, sel, 'the PDB covers exactly the pool');
      assert.equal(pdb.spec.maxUnavailable, pool.pdbMaxUnavailable);
      if (v.keda.enabled) {
        assert.ok(!('replicas' in dep.spec), 'KEDA owns the replica count');
        const so = find(objs, 'ScaledObject', name);
        assert.ok(so, `ScaledObject ${name}`);
        assert.equal(so.spec.scaleTargetRef.name, dep.metadata.name);
        assert.equal(so.spec.scaleTargetRef.kind, 'Deployment');
        assert.equal(so.spec.minReplicaCount, pool.minReplicas);
        assert.equal(so.spec.maxReplicaCount, pool.maxReplicas);
        [trigger] = so.spec.triggers;
        assert.equal(trigger.metadata.streamLength, String(pool.concurrency), 'target = jobs per pod');
        const sd = so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown;
        assert.equal(sd.stabilizationWindowSeconds, pool.scaleDownStabilizationSeconds);
      }
    }
    if (v.keda.enabled) {
      // XLEN mode: no consumerGroup (which would switch KEDA to the pending list or the lag).
      assert.equal(trigger.type, v.redis.sentinel.enabled ? 'redis-sentinel-streams' : 'redis-streams');
      assert.equal(trigger.metadata.stream, stream, 'the trigger watches the pool\'s own stream');
      assert.ok(!('consumerGroup' in trigger.metadata), 'consumerGroup would switch KEDA off XLEN');
      for (const k of ['pendingEntriesCount', 'lagCount', 'activationLagCount']) assert.ok(!(k in trigger.metadata));
      if (v.redis.sentinel.enabled) {
        assert.equal(trigger.metadata.addresses, v.redis.sentinel.addresses.join(','));
        assert.equal(trigger.metadata.sentinelMaster, v.redis.sentinel.masterName);
      } else {
        assert.equal(trigger.metadata.address, `${v.redis.host}:${v.redis.port}`);
      }
      assert.equal(trigger.metadata.databaseIndex, String(v.redis.db));
      assert.equal(trigger.metadata.enableTLS, String(tlsOn));
      assert.equal(trigger.metadata.unsafeSsl, tlsOn && r.tls.insecureSkipVerify ? 'true' : undefined);
      assert.equal(trigger.metadata.username, r.username || undefined);
      const refs = [];
      if (r.existingSecret) refs.push({ parameter: 'password', name: r.existingSecret, key: r.passwordKey });
      if (tlsOn && r.tls.caSecret) refs.push({ parameter: 'ca', name: r.tls.caSecret, key: r.tls.caKey });
      if (tlsOn && r.tls.clientCertSecret) {
        refs.push({ parameter: 'cert', name: r.tls.clientCertSecret, key: 'tls.crt' },
          { parameter: 'key', name: r.tls.clientCertSecret, key: 'tls.key' });
      }
      if (refs.length) {
        const ta = find(objs, 'TriggerAuthentication', trigger.authenticationRef?.name);
        assert.ok(ta, 'the trigger authenticates through a TriggerAuthentication');
        assert.deepEqual(ta.spec.secretTargetRef, refs);
      } else {
        assert.ok(!trigger.authenticationRef);
      }
    }

    // The pod: wiring, probes, lifecycle, security, GPU.
    const spec = podTemplate.spec;
    const c = spec.containers[0];
    assert.equal(podTemplate.metadata.labels['mpegflow.io/pool'], pool.name);
    assert.equal(spec.serviceAccountName, sa.metadata.name);
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.terminationGracePeriodSeconds, grace, 'grace = drain + margin');
    assert.ok(spec.terminationGracePeriodSeconds > v.worker.drainTimeoutSeconds, 'grace > drain');
    assert.ok(!c.lifecycle?.preStop, 'no preStop: the worker drains on SIGTERM');
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    const port = c.ports.find((p) => p.name === c.readinessProbe.httpGet.port);
    assert.equal(port?.containerPort, v.worker.httpPort);
    // Pod Security Standards "restricted".
    const psc = spec.securityContext;
    assert.equal(psc.runAsNonRoot, true);
    assert.ok(psc.runAsUser >= 10000, 'uid >= 10000');
    assert.equal(psc.seccompProfile.type, 'RuntimeDefault');
    const csc = c.securityContext;
    assert.equal(csc.allowPrivilegeEscalation, false);
    assert.equal(csc.readOnlyRootFilesystem, true);
    assert.equal(csc.runAsNonRoot, true);
    assert.ok(csc.runAsUser >= 10000);
    assert.deepEqual(csc.capabilities.drop, ['ALL']);
    assert.ok(!csc.capabilities.add, 'no capability added');
    assert.ok(!csc.privileged);
    assert.equal(csc.seccompProfile.type, 'RuntimeDefault');
    for (const vol of spec.volumes) {
      assert.ok(!vol.hostPath, 'no hostPath volumes');
    }
    const scratchMount = c.volumeMounts.find((m) => m.mountPath === v.worker.scratchDir);
    assert.ok(scratchMount, 'scratch mounted at MPEGFLOW_SCRATCH_DIR');
    const scratch = spec.volumes.find((x) => x.name === scratchMount.name);
    assert.ok(scratch.emptyDir, 'scratch is an emptyDir');
    assert.equal(scratch.emptyDir.sizeLimit, pool.scratchSizeLimit || v.worker.scratchSizeLimit);
    assert.ok(c.volumeMounts.some((m) => m.mountPath === '/tmp'), 'writable /tmp');
    // Credentials: only secretKeyRef to the existing Secrets, never a literal value.
    const env = envMapOf(objs, spec);
    for (const e of c.env) {
      if (SECRET_ENV.includes(e.name)) {
        assert.ok(e.valueFrom?.secretKeyRef && !('value' in e), `${e.name} only from a Secret`);
      }
    }
    if (v.redis.existingSecret) {
      assert.deepEqual(env.MPEGFLOW_REDIS_PASSWORD,
        { secretKeyRef: { name: v.redis.existingSecret, key: v.redis.passwordKey } });
    } else {
      assert.ok(!('MPEGFLOW_REDIS_PASSWORD' in env));
    }
    if (v.storage.auth === 'bearer') {
      assert.deepEqual(env.MPEGFLOW_STORAGE_TOKEN,
        { secretKeyRef: { name: v.storage.existingSecret, key: v.storage.tokenKey } });
    }
    if (v.storage.auth === 'sigv4') {
      assert.deepEqual(env.AWS_ACCESS_KEY_ID,
        { secretKeyRef: { name: v.storage.existingSecret, key: v.storage.accessKeyIdKey } });
      assert.deepEqual(env.AWS_SECRET_ACCESS_KEY,
        { secretKeyRef: { name: v.storage.existingSecret, key: v.storage.secretAccessKeyKey } });
    }
    if (v.storage.auth === 'none') {
      for (const k of SECRET_ENV.slice(1)) assert.ok(!(k in env));
    }
    // Per-pool scheduling knobs reach the pod.
    for (const [k, val] of Object.entries(pool.nodeSelector ?? {})) assert.equal(spec.nodeSelector[k], val);
    for (const t of pool.tolerations ?? []) assert.ok(spec.tolerations.some((x) => isDeepStrictEqual(x, t)), `toleration ${t.key}`);
    if (pool.priorityClassName) assert.equal(spec.priorityClassName, pool.priorityClassName);
    if (Object.keys(pool.affinity ?? {}).length) assert.deepEqual(spec.affinity, pool.affinity);
    if ((pool.topologySpreadConstraints ?? []).length) {
      assert.deepEqual(spec.topologySpreadConstraints, pool.topologySpreadConstraints);
    }
    for (const e of pool.extraEnv ?? []) assert.ok(c.env.some((x) => x.name === e.name));
    // GPU pools: limits, placement, runtime class, NVIDIA capabilities, GPU image.
    const limits = c.resources?.limits ?? {};
    if (gpu) {
      assert.equal(limits['nvidia.com/gpu'], pool.gpu, 'nvidia.com/gpu limit');
      for (const [k, val] of Object.entries(v.gpu.nodeSelector)) {
        assert.equal(spec.nodeSelector[k], pool.nodeSelector?.[k] ?? val, `GPU node selector ${k}`);
      }
      for (const t of v.gpu.tolerations) assert.ok(spec.tolerations.some((x) => x.key === t.key), `toleration ${t.key}`);
      assert.equal(spec.runtimeClassName, pool.runtimeClassName || v.gpu.runtimeClassName || undefined);
      assert.equal(env.NVIDIA_DRIVER_CAPABILITIES, 'compute,video,utility');
      assert.ok(!('NVIDIA_VISIBLE_DEVICES' in env), 'the device plugin picks the GPUs, not the chart');
      const img = v.gpuImage;
      assert.equal(c.image, img.digest ? `${img.repository}@${img.digest}` : `${img.repository}:${img.tag || '0.1.0'}`);
      if (pool.gpuDevice) assert.equal(env.MPEGFLOW_GPU, pool.gpuDevice);
    } else {
      assert.ok(!('nvidia.com/gpu' in limits), 'CPU pools ask for no GPU');
      assert.ok(!('NVIDIA_DRIVER_CAPABILITIES' in env));
      assert.ok(!spec.runtimeClassName || spec.runtimeClassName === pool.runtimeClassName);
      const img = v.image;
      assert.equal(c.image, img.digest ? `${img.repository}@${img.digest}` : `${img.repository}:${img.tag || '0.1.0'}`);
    }
  }

  // One workload per pool and nothing else.
  const workloads = [...all(objs, 'Deployment'), ...all(objs, 'ScaledJob')];
  assert.equal(workloads.length, v.mergedPools.length, 'one workload per pool');
  if (v.keda.enabled) {
    assert.equal(all(objs, 'ScaledObject').length, v.mergedPools.filter((p) => p.mode !== 'job').length);
  }

  // ServiceMonitor (optional) and its Service.
  const sm = all(objs, 'ServiceMonitor');
  if (v.metrics.serviceMonitor.enabled) {
    assert.equal(sm.length, 1);
    const svc = all(objs, 'Service')[0];
    assert.ok(svc, 'ServiceMonitor needs a Service');
    for (const [k, val] of Object.entries(sm[0].spec.selector.matchLabels)) assert.equal(svc.metadata.labels[k], val);
    assert.equal(svc.spec.selector['app.kubernetes.io/component'], 'worker');
    assert.equal(sm[0].spec.endpoints[0].port, svc.spec.ports[0].name);
    assert.equal(sm[0].spec.endpoints[0].path, '/metrics');
    for (const [k, val] of Object.entries(v.metrics.serviceMonitor.labels)) assert.equal(sm[0].metadata.labels[k], val);
  } else {
    assert.equal(sm.length, 0);
    assert.equal(all(objs, 'Service').length, 0, 'no Service without a ServiceMonitor');
  }

  // NetworkPolicy (optional): default deny, egress DNS/Redis/storage only, ingress metrics only.
  const nps = all(objs, 'NetworkPolicy');
  if (v.networkPolicy.enabled) {
    assert.equal(nps.length, 1);
    const np = nps[0].spec;
    assert.deepEqual([...np.policyTypes].sort(), ['Egress', 'Ingress']);
    for (const w of workloads) {
      const labels = (w.kind === 'Deployment' ? w.spec.template : w.spec.jobTargetRef.template).metadata.labels;
      for (const [k, val] of Object.entries(np.podSelector.matchLabels)) assert.equal(labels[k], val, `policy selects ${w.metadata.name}`);
    }
    assert.equal(np.egress.length, 3 + (v.networkPolicy.extraEgress?.length ?? 0));
    const [dns, redis, storage] = np.egress;
    assert.deepEqual(dns.ports, [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
    assert.deepEqual(dns.to, v.networkPolicy.dns.to);
    const redisPorts = [...new Set([v.redis.port, ...(v.redis.sentinel.enabled
      ? v.redis.sentinel.addresses.map((a) => Number(a.split(':')[1])) : [])])];
    assert.deepEqual(redis.ports, redisPorts.map((p) => ({ port: p, protocol: 'TCP' })));
    assert.deepEqual(redis.to, v.networkPolicy.redis.to);
    const u = new URL(v.storage.url);
    const storagePorts = v.networkPolicy.storage.ports?.length ? v.networkPolicy.storage.ports
      : [Number(u.port || (u.protocol === 'https:' ? 443 : 80))];
    assert.deepEqual(storage.ports, storagePorts.map((p) => ({ port: p, protocol: 'TCP' })));
    assert.deepEqual(storage.to, v.networkPolicy.storage.to);
    for (const rule of np.egress) assert.ok(rule.to?.length > 0, 'no egress rule open to everywhere');
    assert.equal(np.ingress.length, 1);
    const ing = np.ingress[0];
    assert.deepEqual(ing.ports, [{ port: 'http-metrics', protocol: 'TCP' }]);
    assert.equal(ing.from.length, 1);
    assert.deepEqual(ing.from[0].namespaceSelector.matchLabels,
      { 'kubernetes.io/metadata.name': v.networkPolicy.metrics.namespace });
  } else {
    assert.equal(nps.length, 0);
  }
  return objs;
}

// ---- the three parts ------------------------------------------------------------------------------
if (part === 'lint') {
  for (const s of scenarios) {
    test(`helm lint --strict ${s}`, () => {
      const r = helm(['lint', '--strict', chartDir, ...valuesArgs(s)]);
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }
}

if (part === 'render') {
  const summary = [];
  for (const s of scenarios) {
    test(`render, validate and check ${s}`, async () => {
      const objs = render([], s);
      for (const o of objs) await validateObject(o);
      checkScenario(objs, valuesOf(s), s);
      const counts = {};
      for (const o of objs) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
      summary.push(`${s}: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}`);
    });
  }
  test('keda.enabled=false renders plain Deployments with minReplicas', () => {
    const v = valuesOf('(defaults)');
    v.keda.enabled = false;
    const objs = render(['--set', 'keda.enabled=false', '--set', 'poolDefaults.minReplicas=2']);
    v.mergedPools = v.mergedPools.map((p) => ({ ...p, minReplicas: 2 }));
    assert.equal(all(objs, 'ScaledObject').length + all(objs, 'TriggerAuthentication').length, 0);
    assert.equal(all(objs, 'Deployment')[0].spec.replicas, 2);
    checkScenario(objs, v, 'keda off');
  });
  test('poolDefaults apply under every pool, and a pool\'s explicit 0 wins', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mpegflow-values-'));
    const f = path.join(dir, 'v.yaml');
    writeFileSync(f, 'poolDefaults:\n  minReplicas: 3\n  concurrency: 4\npools:\n  - name: a\n  - name: b\n    minReplicas: 0\n');
    const objs = render(['-f', f]);
    rmSync(dir, { recursive: true });
    assert.equal(find(objs, 'ScaledObject', `${RELEASE}-mpegflow-a`).spec.minReplicaCount, 3);
    assert.equal(find(objs, 'ScaledObject', `${RELEASE}-mpegflow-b`).spec.minReplicaCount, 0);
    assert.equal(find(objs, 'ConfigMap', `${RELEASE}-mpegflow-b`).data.MPEGFLOW_CONCURRENCY, '4');
  });
  test('a change of drain timeout moves the grace period and rolls the pods', () => {
    const a = find(render(), 'Deployment', `${RELEASE}-mpegflow-default`);
    const b = find(render(['--set', 'worker.drainTimeoutSeconds=100']), 'Deployment', `${RELEASE}-mpegflow-default`);
    assert.equal(b.spec.template.spec.terminationGracePeriodSeconds, 130);
    assert.notEqual(a.spec.template.metadata.annotations['checksum/config'],
      b.spec.template.metadata.annotations['checksum/config']);
  });
  test('large limits render as plain integers', () => {
    const objs = render(['--set', 'worker.maxInputBytes=21474836480', '--set', 'worker.maxPixels=8912896',
      '--set', 'worker.maxDurationSeconds=14400']);
    const d = find(objs, 'ConfigMap', `${RELEASE}-mpegflow-default`).data;
    assert.equal(d.MPEGFLOW_MAX_INPUT_BYTES, '21474836480');
    assert.equal(d.MPEGFLOW_MAX_PIXELS, '8912896');
    assert.equal(d.MPEGFLOW_MAX_DURATION, '14400');
  });
  test('the schemas themselves reject a broken object (the validator is live)', async () => {
    const [dep] = all(render(), 'Deployment');
    dep.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    await assert.rejects(validateObject(dep), /containerPort/);
  });
  test('NOTES.txt renders with the submit and watch commands', () => {
    const r = helm(['install', RELEASE, chartDir, '--dry-run=client', '--namespace', NAMESPACE,
      '-f', path.join(ciDir, 'cpu-gpu-values.yaml')]);
    assert.equal(r.code, 0, r.err);
    const notes = r.out.slice(r.out.indexOf('NOTES:'));
    assert.match(notes, /XADD mpegflow:queue:cpu \\\* job/);
    assert.match(notes, /mpegflow submit/);
    assert.match(notes, /HGETALL mpegflow:job:/);
    assert.match(notes, /mpegflow:queue:gpu/);
  });
  test('README documents every value, and values.yaml comments every value', () => {
    const readme = readFileSync(path.join(chartDir, 'README.md'), 'utf8');
    const text = readFileSync(path.join(chartDir, 'values.yaml'), 'utf8');
    const keys = [];
    const walk = (o, prefix) => {
      for (const [k, v] of Object.entries(o)) {
        const key = prefix ? `${prefix}.${k}` : k;
        // Objects whose defaults are empty, or free-form maps, are one value; so are lists.
        const leafMaps = ['resources', 'nodeSelector', 'tolerations', 'to', 'podSelector'];
        if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length && !leafMaps.includes(k)) {
          walk(v, key);
        } else {
          keys.push(key);
        }
      }
    };
    walk(defaults, '');
    const missing = keys.filter((k) => !readme.includes(`| \`${k}\` |`));
    assert.deepEqual(missing, [], 'values missing from the README table');
    // Every key line in values.yaml is preceded by a "# --" doc comment (possibly multi-line).
    const lines = text.split('\n');
    const undocumented = [];
    lines.forEach((line, i) => {
      const m = line.match(/^(\s*)([A-Za-z][\w.]*):/);
      if (!m) return;
      let j = i - 1;
      while (j >= 0 && /^\s*#(?! --)/.test(lines[j])) j--;
      const isDoc = j >= 0 && /^\s*# --/.test(lines[j]);
      const hasChildren = i + 1 < lines.length && (lines[i + 1].match(/^\s*/)[0].length > m[1].length)
        && !/^\s*-/.test(lines[i + 1]) && line.trim().endsWith(':');
      if (!isDoc && !hasChildren && m[1].length <= 2 + 2 * 2) undocumented.push(line.trim());
    });
    assert.deepEqual(undocumented.filter((l) => !/^(- |name:|backend:|key:|operator:|effect:|matchLabels:|k8s-app:|kubernetes\.io|nvidia\.com|requests:|limits:|cpu:|memory:|namespaceSelector:|podSelector:)/.test(l)), [],
      'values without a "# --" comment');
  });
  test.after?.(() => console.log(`rendered objects per scenario:\n  ${summary.join('\n  ')}`));
}

if (part === 'schema') {
  const tmp = mkdtempSync(path.join(tmpdir(), 'mpegflow-values-'));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;
  const refused = (yaml, pattern, why) => test(`refused: ${why}`, () => {
    const f = path.join(tmp, `v${n++}.yaml`);
    writeFileSync(f, yaml);
    const r = helm(['template', RELEASE, chartDir, '-f', f]);
    assert.notEqual(r.code, 0, `helm accepted ${why}`);
    assert.match(r.err, pattern);
  });
  // values.schema.json (additionalProperties false, enums, ranges, patterns).
  refused('replicaCount: 3\n', /additional properties 'replicaCount' not allowed/, 'an unknown top-level key');
  refused('worker:\n  drainTimeout: 30\n', /additional properties 'drainTimeout' not allowed/, 'a misspelt worker key');
  refused('pools:\n  - name: a\n    backnd: x264\n', /additional properties 'backnd' not allowed/, 'a misspelt pool key');
  refused('poolDefaults:\n  concurency: 2\n', /additional properties 'concurency' not allowed/, 'a misspelt poolDefaults key');
  refused('pools:\n  - name: a\n    backend: h264\n', /backend/, 'an unknown backend');
  refused('pools:\n  - name: a\n    mode: cronjob\n', /mode/, 'an unknown mode');
  refused('pools:\n  - name: a\n    concurrency: "2"\n', /concurrency/, 'a string where an integer goes');
  refused('pools:\n  - name: a\n    concurrency: 0\n', /minimum/, 'concurrency 0');
  refused('pools:\n  - name: a\n    minReplicas: -1\n', /minimum/, 'negative minReplicas');
  refused('pools:\n  - name: Big_Pool\n', /name/, 'a pool name that is no DNS label');
  refused('pools:\n  - backend: x264\n', /missing propert.*name/, 'a pool without a name');
  refused('pools: []\n', /minItems|minimum/, 'no pool at all');
  refused('securityContext:\n  runAsUser: 1000\n', /runAsUser/, 'a uid below 10000');
  refused('securityContext:\n  runAsUser: 0\n', /runAsUser/, 'root');
  refused('storage:\n  auth: basic\n', /auth/, 'an unknown storage auth');
  refused('storage:\n  url: storage:8333\n', /url/, 'a storage URL without scheme');
  refused('redis:\n  port: 70000\n', /port/, 'a port out of range');
  refused('redis:\n  password: hunter2\n', /additional properties 'password' not allowed/, 'a literal Redis password');
  refused('redis:\n  sentinel:\n    addresses: [s1]\n', /addresses/, 'a sentinel without a port');
  refused('redis:\n  tls:\n    enable: true\n', /additional properties 'enable' not allowed/, 'a misspelt redis.tls.enabled');
  refused('worker:\n  scratchSizeLimit: lots\n', /scratchSizeLimit/, 'a size limit that is no quantity');
  refused('worker:\n  logFormat: xml\n', /logFormat/, 'an unknown log format');
  refused('networkPolicy:\n  enable: true\n', /additional properties 'enable' not allowed/, 'a misspelt networkPolicy.enabled');
  // Checks the templates make (cross-field rules), each naming the value.
  refused('redis:\n  sentinel:\n    enabled: true\n', /redis.sentinel.addresses/, 'Sentinel without sentinels');
  refused('redis:\n  tls:\n    enabled: true\n  sentinel:\n    enabled: true\n    addresses: [s1:26379]\n',
    /does not combine Sentinel and TLS/, 'Sentinel with TLS');
  refused('pools:\n  - name: g\n    backend: nvenc\n', /backend nvenc needs gpu >= 1/, 'nvenc without a GPU');
  refused('pools:\n  - name: a\n  - name: a\n', /listed twice/, 'a pool listed twice');
  refused('pools:\n  - name: a\n    minReplicas: 5\n    maxReplicas: 2\n', /maxReplicas/, 'maxReplicas below minReplicas');
  refused('keda:\n  enabled: false\npools:\n  - name: a\n    mode: job\n', /mode job needs keda.enabled/, 'job mode without KEDA');
  refused('storage:\n  auth: bearer\n', /storage.existingSecret/, 'bearer auth without an existing Secret');
  refused('storage:\n  auth: sigv4\n', /storage.existingSecret/, 'sigv4 without an existing Secret');
  refused('networkPolicy:\n  enabled: true\n  storage:\n    to: [{ipBlock: {cidr: 10.0.0.0/8}}]\n', /networkPolicy.redis.to/,
    'a network policy without Redis peers');
  refused('networkPolicy:\n  enabled: true\n  redis:\n    to: [{podSelector: {}}]\n', /networkPolicy.storage.to/,
    'a network policy without storage peers');
}
