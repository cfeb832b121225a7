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
if (!toolsDir || !chartDir || !['lint', 'render', 'schema', 'upgrade', 'examples'].includes(part)) {
  console.error('usage: chart.test.mjs TOOLS_DIR CHART_DIR lint|render|schema|upgrade|examples');
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
  return valuesOfFiles(scenario === '(defaults)' ? [] : [path.join(ciDir, scenario)]);
}
// helm's merge of -f files: maps key by key, lists and scalars replaced whole.
function valuesOfFiles(files) {
  const merge = (a, b) => {
    if (Array.isArray(b) || typeof b !== 'object' || b === null) return b;
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in (a ?? {}) ? merge(a[k], v) : v;
    return out;
  };
  let v = defaults;
  for (const f of files) v = merge(v, YAML.parse(readFileSync(f, 'utf8')));
  v = structuredClone(v);  // callers may edit it
  v.mergedPools = v.pools.map((p) => ({ ...v.poolDefaults, ...p }));
  return v;
}

// ---- schema validation of every rendered object --------------------------------------------------
const modelModules = {
  'v1': 'kubernetes-models/v1/index.js',
  'apps/v1': 'kubernetes-models/apps/v1/index.js',
  'policy/v1': 'kubernetes-models/policy/v1/index.js',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1/index.js',
  'rbac.authorization.k8s.io/v1': 'kubernetes-models/rbac.authorization.k8s.io/v1/index.js',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1/index.js',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/index.js',
  'argoproj.io/v1alpha1': '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/index.js',
  'source.toolkit.fluxcd.io/v1': '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/index.js',
  'helm.toolkit.fluxcd.io/v2': '@kubernetes-models/flux-cd/helm.toolkit.fluxcd.io/v2/index.js',
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

// ---- `helm test` (templates/tests/, issue 15) ------------------------------------------------------
// The hook objects of one scenario against its values; returns a one-line summary of them.
const checkScript = readFileSync(path.join(chartDir, 'files', 'check-install.py'), 'utf8');
function checkHelmTest(objs, v) {
  const full = `${RELEASE}-mpegflow`;
  const name = `${full}-helm-test`;
  const hooks = objs.filter((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test');
  const t = v.tests;
  if (!t.enabled) {
    assert.equal(hooks.length, 0, 'tests.enabled=false renders no test hook');
    return 'none';
  }
  for (const o of hooks) {
    assert.equal(o.metadata.name, name, `hook ${o.kind} is named ${name}`);
    assert.equal(o.metadata.labels['app.kubernetes.io/component'], 'test');
  }
  const pod = find(hooks, 'Pod', name);
  assert.ok(pod, 'the test Pod is a test hook');
  const cm = find(hooks, 'ConfigMap', name);
  assert.ok(cm, 'the check script ConfigMap is a test hook');
  // The ConfigMap and the RBAC come first (lower weight) so the Pod finds them.
  for (const o of hooks.filter((h) => h.kind !== 'Pod')) {
    assert.ok(Number(o.metadata.annotations['helm.sh/hook-weight']) < 0, `${o.kind} before the Pod`);
  }
  assert.equal(cm.data['check-install.py'], checkScript, 'the ConfigMap ships files/check-install.py verbatim');
  const checks = JSON.parse(cm.data['checks.json']);
  assert.equal(checks.namespace, NAMESPACE);
  assert.equal(checks.release, RELEASE);
  assert.equal(checks.group, 'workers', 'DESIGN section 5: the consumer group is "workers"');
  assert.equal(checks.keda, v.keda.enabled);
  assert.deepEqual(checks.pools.map((p) => p.name), v.mergedPools.map((p) => p.name), 'every pool is checked');
  for (const [i, p] of checks.pools.entries()) {
    const pool = v.mergedPools[i];
    assert.equal(p.mode, pool.mode);
    assert.equal(p.minReplicas, pool.minReplicas);
    assert.equal(p.stream, `${v.redis.keyPrefix}queue:${pool.name}`, 'the stream the workers read');
    const workload = find(objs, pool.mode === 'job' ? 'ScaledJob' : 'Deployment', p.workload);
    assert.ok(workload, `pool ${pool.name}: the checked workload ${p.workload} is rendered`);
    if (pool.mode !== 'job') {
      // The selector the script lists pods with is the Deployment's own.
      const sel = Object.entries(workload.spec.selector.matchLabels).map(([k, x]) => `${k}=${x}`).sort();
      assert.deepEqual(p.selector.split(',').sort(), sel);
      if (v.keda.enabled) assert.ok(find(objs, 'ScaledObject', p.workload), 'the ScaledObject it checks exists');
    }
  }
  assert.equal(pod.spec.restartPolicy, 'Never');
  const c = pod.spec.containers[0];
  assert.deepEqual(c.command.slice(0, 3), ['python3', '/check/check-install.py', '/check/checks.json']);
  assert.equal(c.command.includes('--skip-kubernetes'), !t.kubernetesChecks);
  const img = t.image;
  assert.equal(c.image, img.digest ? `${img.repository}@${img.digest}` : `${img.repository}:${img.tag}`);
  const mount = c.volumeMounts.find((m) => m.mountPath === '/check');
  assert.equal(pod.spec.volumes.find((x) => x.name === mount.name).configMap.name, name);
  // The workers' environment: the first pool's ConfigMap, and the same Secret references.
  const first = `${full}-${v.mergedPools[0].name}`;
  assert.deepEqual(c.envFrom, [{ configMapRef: { name: first } }]);
  assert.ok(find(objs, 'ConfigMap', first));
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
  if (v.redis.existingSecret) {
    assert.deepEqual(env.MPEGFLOW_REDIS_PASSWORD, { secretKeyRef: { name: v.redis.existingSecret, key: v.redis.passwordKey } });
  } else {
    assert.ok(!('MPEGFLOW_REDIS_PASSWORD' in env));
  }
  if (v.storage.auth === 'bearer') {
    assert.deepEqual(env.MPEGFLOW_STORAGE_TOKEN, { secretKeyRef: { name: v.storage.existingSecret, key: v.storage.tokenKey } });
  }
  for (const e of c.env ?? []) if (SECRET_ENV.includes(e.name)) assert.ok(e.valueFrom?.secretKeyRef, `${e.name} from a Secret`);
  // Pod Security "restricted", like the workers.
  assert.equal(pod.spec.securityContext.runAsNonRoot, true);
  assert.equal(pod.spec.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  // The Kubernetes part: its own ServiceAccount, read-only, nothing about Secrets.
  const sa = find(hooks, 'ServiceAccount', name);
  const role = find(hooks, 'Role', name);
  const rb = find(hooks, 'RoleBinding', name);
  if (t.kubernetesChecks) {
    assert.ok(sa && role && rb, 'ServiceAccount, Role and RoleBinding for the API checks');
    assert.equal(pod.spec.serviceAccountName, name);
    assert.equal(pod.spec.automountServiceAccountToken, true);
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name });
    assert.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name, namespace: NAMESPACE }]);
    for (const r of role.rules) {
      for (const verb of r.verbs) assert.ok(['get', 'list'].includes(verb), `read-only Role (${verb})`);
      assert.ok(!r.resources.includes('secrets'), 'the test reads no Secrets through the API');
    }
    const res = role.rules.flatMap((r) => r.resources);
    assert.ok(res.includes('pods') && res.includes('deployments'));
    assert.equal(res.includes('scaledobjects'), v.keda.enabled);
    // The workers' own ServiceAccount still mounts nothing.
    assert.equal(find(objs, 'ServiceAccount', full).automountServiceAccountToken, false);
  } else {
    assert.ok(!sa && !role && !rb, 'no RBAC without tests.kubernetesChecks');
    assert.equal(pod.spec.automountServiceAccountToken, false);
  }
  return hooks.map((o) => o.kind).join(' + ');
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
      const hooks = checkHelmTest(objs, valuesOf(s));
      const counts = {};
      for (const o of objs) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
      summary.push(`${s}: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}; helm test: ${hooks}`);
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
  test('helm test without the API checks: no RBAC, no token, --skip-kubernetes', () => {
    const v = valuesOf('(defaults)');
    v.tests.kubernetesChecks = false;
    const objs = render(['--set', 'tests.kubernetesChecks=false']);
    assert.equal(checkHelmTest(objs, v), 'ConfigMap + Pod');
    checkScenario(objs, v, 'tests.kubernetesChecks=false');
  });
  test('tests.enabled=false renders no hook, and --skip-tests leaves the hooks out', () => {
    const v = valuesOf('(defaults)');
    v.tests.enabled = false;
    assert.equal(checkHelmTest(render(['--set', 'tests.enabled=false']), v), 'none');
    const skipped = render(['--skip-tests']);
    assert.equal(skipped.filter((o) => o.metadata.annotations?.['helm.sh/hook']).length, 0);
  });
  test('helm test image by digest', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const v = valuesOf('(defaults)');
    v.tests.image.digest = digest;
    checkHelmTest(render(['--set', `tests.image.digest=${digest}`]), v);
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
    assert.match(notes, new RegExp(`helm test ${RELEASE} -n ${NAMESPACE} --logs`));
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
  refused('tests:\n  enable: true\n', /additional properties 'enable' not allowed/, 'a misspelt tests.enabled');
  refused('pools:\n  - name: helm-test\n', /"helm-test" is reserved/, 'a pool named like the helm test objects');
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

// ---- examples/: environment overlays and the GitOps objects (issue 15) ---------------------------
if (part === 'examples') {
  const examples = path.join(chartDir, '..', '..', 'examples');
  const ex = (f) => path.join(examples, f);
  const chartMeta = YAML.parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8'));
  const stacks = [['values-base.yaml'], ['values-base.yaml', 'values-staging.yaml'],
    ['values-base.yaml', 'values-production.yaml']];
  const summary = [];
  for (const stack of stacks) {
    const label = stack.join(' + ');
    const fArgs = stack.flatMap((f) => ['-f', ex(f)]);
    test(`helm lint --strict ${label}`, () => {
      const r = helm(['lint', '--strict', chartDir, ...fArgs]);
      assert.equal(r.code, 0, r.out + r.err);
    });
    test(`render, validate and check ${label}`, async () => {
      const objs = render(fArgs);
      for (const o of objs) await validateObject(o);
      const v = valuesOfFiles(stack.map(ex));
      checkScenario(objs, v, label);
      checkHelmTest(objs, v);
      // Each overlay's point, on the rendered objects.
      assert.equal(all(objs, 'NetworkPolicy').length, 1, 'NetworkPolicy on in every environment');
      assert.equal(all(objs, 'ServiceMonitor').length, 1, 'ServiceMonitor in every environment');
      const images = [...all(objs, 'Deployment').map((d) => d.spec.template),
        ...all(objs, 'ScaledJob').map((j) => j.spec.jobTargetRef.template)].map((t) => t.spec.containers[0].image);
      if (stack.length > 1) {
        for (const img of images) assert.match(img, /^registry\.example\.com\/mpegflow\/mpegflow(-gpu)?@sha256:[0-9a-f]{64}$/, 'images by digest');
      }
      const own = stack.length > 1 ? YAML.parse(readFileSync(ex(stack[1]), 'utf8')) : {};
      assert.deepEqual(all(objs, 'ConfigMap').filter((c) => c.data.MPEGFLOW_POOL).map((c) => c.data.MPEGFLOW_POOL),
        (own.pools ?? [{ name: 'cpu' }]).map((p) => p.name), 'the overlay\'s pools, and only those');
      summary.push(`${label}: ${objs.length} objects, pools ${v.mergedPools.map((p) => `${p.name}(${p.mode} ${p.minReplicas}..${p.maxReplicas}${p.gpu ? ' gpu' : ''})`).join(' ')}`);
    });
  }
  test('production and staging differ in sizing the way the files say', () => {
    const get = (stack) => {
      const objs = render(stack.flatMap((f) => ['-f', ex(f)]));
      return find(objs, 'ScaledObject', `${RELEASE}-mpegflow-cpu`);
    };
    const stg = get(['values-base.yaml', 'values-staging.yaml']);
    const prod = get(['values-base.yaml', 'values-production.yaml']);
    assert.equal(stg.spec.minReplicaCount, 0);
    assert.equal(stg.spec.maxReplicaCount, 3);
    assert.equal(prod.spec.minReplicaCount, 2);
    assert.equal(prod.spec.maxReplicaCount, 40);
  });

  test('Argo CD Application: valid against the Application CRD schema, pointing at this chart', async () => {
    const docs = YAML.parseAllDocuments(readFileSync(ex('argocd-application.yaml'), 'utf8')).map((d) => d.toJS());
    assert.equal(docs.length, 1);
    const [app] = docs;
    await validateObject(app);
    assert.equal(app.kind, 'Application');
    const [chartSrc, valuesSrc] = app.spec.sources;
    assert.equal(chartSrc.chart, chartMeta.name);
    assert.equal(chartSrc.targetRevision, chartMeta.version, 'the example installs this chart version');
    assert.ok(!chartSrc.repoURL.startsWith('oci://'), 'Argo CD takes OCI repos without the scheme');
    assert.equal(valuesSrc.ref, 'values');
    assert.deepEqual(chartSrc.helm.valueFiles, ['$values/examples/values-base.yaml', '$values/examples/values-production.yaml']);
    // The same stack Argo CD would render, plus its valuesObject: renders and validates.
    const tmp = mkdtempSync(path.join(tmpdir(), 'mpegflow-argo-'));
    const obj = path.join(tmp, 'values-object.yaml');
    writeFileSync(obj, YAML.stringify(chartSrc.helm.valuesObject));
    const files = chartSrc.helm.valueFiles.map((f) => ex(path.basename(f)));
    const objs = render([...files.flatMap((f) => ['-f', f]), '-f', obj]);
    rmSync(tmp, { recursive: true });
    for (const o of objs) await validateObject(o);
    assert.equal(objs.filter((o) => o.metadata.annotations?.['helm.sh/hook']).length, 0, 'no test hook under Argo CD');
    // Rejects what the CRD rejects (the validator is live for this schema).
    const broken = structuredClone(app);
    broken.spec.syncPolicy.automated.prune = 'yes';
    await assert.rejects(validateObject(broken), /prune/);
  });

  test('Flux: kubectl kustomize examples/ gives a valid OCIRepository + HelmRelease + values ConfigMaps', async () => {
    const kubectl = path.join(toolsDir, 'bin', 'kubectl');
    const r = spawnSync(kubectl, ['kustomize', examples], { env: helmEnv, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const objs = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS());
    for (const o of objs) await validateObject(o);
    const repo = find(objs, 'OCIRepository', 'mpegflow');
    const hr = find(objs, 'HelmRelease', 'mpegflow');
    assert.ok(repo && hr);
    assert.equal(repo.spec.url, `oci://registry.example.com/charts/${chartMeta.name}`);
    assert.equal(repo.spec.ref.tag, chartMeta.version);
    assert.equal(repo.spec.layerSelector.mediaType, 'application/vnd.cncf.helm.chart.content.v1.tar+gzip');
    assert.deepEqual(hr.spec.chartRef, { kind: 'OCIRepository', name: repo.metadata.name });
    assert.equal(hr.spec.test.enable, true, 'Flux runs helm test after install/upgrade');
    // The values the HelmRelease stacks are the overlay files, byte for byte, in order.
    const stack = hr.spec.valuesFrom.map((vf) => {
      const cm = find(objs, 'ConfigMap', vf.name);
      assert.ok(cm, `ConfigMap ${vf.name} is generated`);
      return cm.data[vf.valuesKey];
    });
    assert.deepEqual(stack, ['values-base.yaml', 'values-production.yaml'].map((f) => readFileSync(ex(f), 'utf8')));
    const broken = structuredClone(hr);
    broken.spec.chartRef.kind = 'GitRepository';
    await assert.rejects(validateObject(broken), /kind/);
  });
  test.after?.(() => console.log(`overlay stacks:\n  ${summary.join('\n  ')}`));
}

// ---- upgrades: chart N-1 (from git history) against N (issue 15) -------------------------------
// N-1 is $MPEGFLOW_CHART_PREVIOUS (a tag or commit: the release operators run now), else the newest
// commit whose charts/mpegflow differs from the working tree's. It is `git archive`d into a temp dir
// and `helm package`d, then both charts render N-1's ci/ scenarios (an upgrade keeps the values):
// every object N-1 had is still there under the same kind and name, and the fields Kubernetes
// refuses to change in place (Deployment selector, Service clusterIP) are equal, so `helm upgrade`
// patches instead of failing or replacing. A shallow clone has no N-1: exit 77 (skipped).
if (part === 'upgrade') {
  const repoRoot = path.resolve(chartDir, '..', '..');
  const git = (...args) => spawnSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const rel = path.relative(repoRoot, chartDir);
  const skip = (why) => { console.log(`SKIP: ${why}`); process.exit(77); };
  if (git('rev-parse', '--git-dir').status !== 0) skip('not a git checkout: no chart history to compare with');
  if (git('rev-parse', '--is-shallow-repository').stdout.trim() === 'true') {
    skip('shallow clone: the previous chart version is not in the history (fetch with --unshallow)');
  }
  let previous = process.env.MPEGFLOW_CHART_PREVIOUS;
  if (!previous) {
    const revs = git('log', '--format=%H', '--', rel).stdout.split('\n').filter(Boolean);
    // The working tree's chart equals HEAD's or not; either way N-1 is the newest commit that differs.
    previous = revs.find((c) => git('diff', '--quiet', c, '--', rel).status === 1);
    if (!previous) skip(`no earlier version of ${rel} in the history`);
  }
  const tmp = mkdtempSync(path.join(tmpdir(), 'mpegflow-upgrade-'));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const arch = spawnSync('sh', ['-c', `git -C "$1" archive "$2" "$3" | tar -x -C "$4"`, 'sh', repoRoot, previous, rel, tmp]);
  assert.equal(arch.status, 0, `git archive ${previous}: ${arch.stderr}`);
  const oldDir = path.join(tmp, rel);
  const pkg = helm(['package', oldDir, '-d', tmp]);
  assert.equal(pkg.code, 0, pkg.err);
  const oldTgz = pkg.out.match(/saved it to: (\S+)/)[1];
  const oldMeta = YAML.parse(readFileSync(path.join(oldDir, 'Chart.yaml'), 'utf8'));
  const newMeta = YAML.parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8'));
  console.log(`N-1: ${git('log', '-1', '--format=%h %s', previous).stdout.trim().slice(0, 100)} (chart ${oldMeta.version})`);
  console.log(`N:   working tree (chart ${newMeta.version})`);

  const renderOf = (chart, files) => {
    const r = helm(['template', RELEASE, chart, '--namespace', NAMESPACE, '--skip-tests', ...files.flatMap((f) => ['-f', f])]);
    if (r.code !== 0) throw new Error(`helm template ${path.basename(chart)} failed:\n${r.err}`);
    return YAML.parseAllDocuments(r.out).map((d) => d.toJS()).filter((d) => d && d.kind);
  };
  const oldCi = path.join(oldDir, 'ci');
  const oldScenarios = [[], ...readdirSync(oldCi).filter((f) => f.endsWith('-values.yaml')).sort().map((f) => [path.join(oldCi, f)])];
  test('chart versions: N is not older than N-1', () => {
    const num = (v) => v.split(/[.+-]/).slice(0, 3).map(Number);
    const [a, b] = [num(oldMeta.version), num(newMeta.version)];
    assert.ok(b[0] > a[0] || (b[0] === a[0] && (b[1] > a[1] || (b[1] === a[1] && b[2] >= a[2]))), `${newMeta.version} < ${oldMeta.version}`);
  });
  for (const files of oldScenarios) {
    const label = files.length ? path.basename(files[0]) : '(defaults)';
    test(`upgrade N-1 -> N keeps names and immutable fields: ${label}`, () => {
      const before = renderOf(oldTgz, files);
      const after = renderOf(chartDir, files);  // N accepts N-1's values (no key renamed away)
      const key = (o) => `${o.kind}/${o.metadata.name}`;
      const afterByKey = new Map(after.map((o) => [key(o), o]));
      for (const o of before) {
        const n = afterByKey.get(key(o));
        assert.ok(n, `${key(o)} of N-1 is gone in N (an upgrade would delete it)`);
        if (o.kind === 'Deployment') {
          assert.deepEqual(n.spec.selector, o.spec.selector, `${key(o)}: spec.selector is immutable`);
          for (const [k, val] of Object.entries(n.spec.selector.matchLabels)) {
            assert.equal(n.spec.template.metadata.labels[k], val, `${key(o)}: N's pods match the kept selector`);
          }
        }
        if (o.kind === 'Service') assert.equal(n.spec.clusterIP, o.spec.clusterIP, `${key(o)}: clusterIP is immutable`);
        if (o.kind === 'PodDisruptionBudget') assert.deepEqual(n.spec.selector, o.spec.selector, `${key(o)}: selector`);
        if (o.kind === 'ScaledObject') assert.deepEqual(n.spec.scaleTargetRef, o.spec.scaleTargetRef, `${key(o)}: target`);
        if (o.kind === 'NetworkPolicy' || o.kind === 'Service') {
          const sel = o.spec.podSelector?.matchLabels ?? o.spec.selector;
          assert.deepEqual(n.spec.podSelector?.matchLabels ?? n.spec.selector, sel, `${key(o)}: selects the same pods`);
        }
      }
    });
  }
}
