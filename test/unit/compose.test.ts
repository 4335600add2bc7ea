/**
 * docker-compose.yml, the Dockerfile and deploy/ configs: they parse, reference only files that exist, pin every
 * image, wire services that exist, and agree with each other (provisioning mounts, users, env the config loader
 * accepts). No Docker engine runs here, so this is what proves them.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PLUGIN_VERSION } from '../../dashboards/build/grafana.js';
import { loadConfig } from '../../src/config/load.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  restart?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  mem_limit?: string;
}
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const names = Object.keys(services);

/** Bind mounts of a service: [source relative to the repo, target]. */
function binds(s: Service): [string, string][] {
  return (s.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => {
    const [src, target] = v.split(':') as [string, string];
    return [src.slice(2), target];
  });
}

/** Named-volume mounts. */
function namedVolumes(s: Service): string[] {
  return (s.volumes ?? []).filter((v) => !v.startsWith('./') && !v.startsWith('/')).map((v) => v.split(':')[0]!);
}

/** `${NAME}` / `${NAME:-default}` references. */
function envRefs(text: string): string[] {
  return [...text.matchAll(/\$\{(\w+)(?::-[^}]*)?\}/g)].map((m) => m[1]!);
}

const agenttailServices = names.filter((n) => services[n]!.build !== undefined);

/** The image's `ENV` settings (what every agenttail service starts with before its compose environment). */
function imageEnv(): Record<string, string> {
  const text = read('Dockerfile').replace(/\\\n\s*/g, ' ');
  const env: Record<string, string> = {};
  for (const line of text.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const m of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  return env;
}

describe('docker-compose.yml', () => {
  it('has the stack the issue asks for, and the scale profile', () => {
    for (const n of ['clickhouse', 'migrate', 'collector', 'simulator', 'grafana', 'prometheus']) {
      expect(services[n], n).toBeDefined();
      expect(services[n]!.profiles, n).toBeUndefined();
    }
    for (const n of ['keeper', 'ch-1', 'ch-2', 'migrate-cluster', 'agenttail-1', 'agenttail-2', 'otelcol']) expect(services[n]?.profiles, n).toEqual(['scale']);
  });

  it('pins every image (a version tag, never latest) or builds it from the Dockerfile', () => {
    for (const [n, s] of Object.entries(services)) {
      if (s.build !== undefined) {
        expect(s.build, n).toBe('.');
        continue;
      }
      expect(s.image, n).toMatch(/^[\w./-]+:v?\d+(\.\d+)+$/);
    }
  });

  it('mounts only files and folders that exist, and declares every named volume', () => {
    for (const [n, s] of Object.entries(services)) {
      for (const [src, target] of binds(s)) {
        expect(existsSync(`${ROOT}${src}`), `${n}: ${src}`).toBe(true);
        // A file mounted on a file path, a folder on a folder path.
        expect(statSync(`${ROOT}${src}`).isFile(), `${n}: ${src} → ${target}`).toBe(/\.(xml|ya?ml|json)$/.test(target));
      }
      for (const v of namedVolumes(s)) expect(compose.volumes, `${n}: volume ${v}`).toHaveProperty(v);
    }
  });

  it('depends only on services that exist, in the same or no profile, with valid conditions', () => {
    for (const [n, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(names, `${n} depends on ${dep}`).toContain(dep);
        expect(['service_started', 'service_healthy', 'service_completed_successfully'], `${n} → ${dep}`).toContain(condition);
        if (!s.profiles) expect(services[dep]!.profiles, `${n} (no profile) depends on profiled ${dep}`).toBeUndefined();
        if (condition === 'service_completed_successfully') expect(services[dep]!.restart, `${dep} is one-shot`).toBe('no');
        if (condition === 'service_healthy') {
          const built = services[dep]!.build !== undefined;
          expect(built || services[dep]!.healthcheck !== undefined, `${dep} has a healthcheck`).toBe(true);
        }
      }
    }
  });

  it('runs the schema job before the collectors: migrate (single node) and migrate --cluster (scale)', () => {
    expect(services.migrate!.command).toEqual(['migrate']);
    expect(services.collector!.depends_on?.migrate?.condition).toBe('service_completed_successfully');
    expect(services['migrate-cluster']!.command).toEqual(['migrate', '--cluster']);
    for (const n of ['agenttail-1', 'agenttail-2']) expect(services[n]!.depends_on?.['migrate-cluster']?.condition).toBe('service_completed_successfully');
    expect(services.collector!.ports).toEqual(['4317:4317', '4318:4318']);
  });

  it('gives every collector a memory limit, so receive.overload.maxRssBytes (auto) derives a cap from it', () => {
    for (const n of ['collector', 'agenttail-1', 'agenttail-2']) expect(services[n]!.mem_limit, n).toMatch(/^\d+[mg]$/);
  });

  it('gives the agenttail services an environment the config loader accepts, pointing at ClickHouse as the writer user', () => {
    expect(agenttailServices.sort()).toEqual(['agenttail-1', 'agenttail-2', 'collector', 'migrate', 'migrate-cluster', 'simulator'].sort());
    for (const n of agenttailServices.filter((x) => x !== 'simulator')) {
      const env = services[n]!.environment!;
      const resolved = { ...imageEnv(), ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{\w+:-([^}]*)\}/g, '$1')])) };
      const config = loadConfig({ env: resolved });
      // The config default is loopback; in a container the receivers must listen on every interface.
      expect([config.receive.grpc.host, config.receive.http.host], n).toEqual(['0.0.0.0', '0.0.0.0']);
      expect(config.store.kind, n).toBe('server');
      expect(config.store.server.username, n).toBe('agenttail');
      expect(config.store.database, n).toBe('agenttail');
      const host = new URL(config.store.server.url).hostname;
      expect(names, `${n} → ${host}`).toContain(host);
      expect(services[n]!.depends_on ?? {}, n).toSatisfy((deps: Record<string, unknown>) => Object.keys(deps).length > 0);
    }
  });

  it('points the simulator at the collector it waits for', () => {
    const script = services.simulator!.command!.join(' ');
    expect(script).toContain('simulate --grpc collector:4317 --http http://collector:4318');
    expect(services.simulator!.depends_on?.collector?.condition).toBe('service_healthy');
  });

  it('mounts the Grafana provisioning where Grafana reads it and the dashboards where the provider looks', () => {
    const g = services.grafana!;
    const mounts = new Map(binds(g));
    expect(mounts.get('dashboards/provisioning/datasources')).toBe('/etc/grafana/provisioning/datasources');
    expect(mounts.get('dashboards/provisioning/dashboards')).toBe('/etc/grafana/provisioning/dashboards');
    const provider = parseYaml(read('dashboards/provisioning/dashboards/agenttail.yaml')) as { providers: { options: { path: string } }[] };
    expect(mounts.get('dashboards')).toBe(provider.providers[0]!.options.path);
    const home = g.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(home.startsWith(provider.providers[0]!.options.path + '/')).toBe(true);
    expect(existsSync(`${ROOT}dashboards/${home.slice(provider.providers[0]!.options.path.length + 1)}`)).toBe(true);
    // Grafana 12 deprecates GF_INSTALL_PLUGINS; the pinned plugin is preinstalled before provisioning runs.
    expect(g.environment!.GF_INSTALL_PLUGINS).toBeUndefined();
    expect(g.environment!.GF_PLUGINS_PREINSTALL_SYNC).toBe(`grafana-clickhouse-datasource@${PLUGIN_VERSION}`);
    // Every ${VAR} of the datasource file is set in Grafana's environment.
    for (const v of envRefs(read('dashboards/provisioning/datasources/clickhouse.yaml'))) expect(g.environment, v).toHaveProperty(v);
    expect(names).toContain(g.environment!.AGENTTAIL_CLICKHOUSE_HOST);
  });

  it('switches the image HEALTHCHECK off for the one-shot jobs and the simulator, and keeps it on every collector', () => {
    for (const n of agenttailServices) {
      const s = services[n]!;
      const serves = s.command?.[0] === 'serve';
      expect(s.healthcheck?.disable === true, `${n}: healthcheck disabled`).toBe(!serves);
    }
    for (const [n, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        if (condition === 'service_healthy') expect(services[dep]!.healthcheck?.disable, `${n} waits for ${dep} to be healthy`).not.toBe(true);
      }
    }
  });

  it('scrapes from Prometheus only collectors that run without a profile; the scale instances only while that profile runs', () => {
    type Scrape = { job_name: string; static_configs: { targets: string[] }[] };
    const prom = parseYaml(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: Scrape[] };
    const targetsOf = (configs: Scrape[]): string[] => configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    const always = targetsOf(prom.scrape_configs);
    expect(always).toEqual(['collector:4318']);
    for (const t of always) expect(services[t.split(':')[0]!]!.profiles, t).toBeUndefined();
    expect(binds(services.prometheus!)).toEqual([['deploy/prometheus/prometheus.yml', '/etc/prometheus/prometheus.yml']]);

    // The scale profile's otelcol scrapes its instances and remote-writes to Prometheus, which accepts remote writes.
    const otel = parseYaml(read('deploy/otelcol/config.yaml')) as {
      receivers: { prometheus: { config: { scrape_configs: Scrape[] } } };
      exporters: { prometheusremotewrite: { endpoint: string } };
      service: { pipelines: { metrics: { receivers: string[]; exporters: string[] } } };
    };
    const scale = targetsOf(otel.receivers.prometheus.config.scrape_configs);
    expect(scale.sort()).toEqual(['agenttail-1:4318', 'agenttail-2:4318']);
    for (const t of scale) expect(services[t.split(':')[0]!]!.profiles, t).toEqual(services.otelcol!.profiles);
    expect(otel.service.pipelines.metrics).toMatchObject({ receivers: ['prometheus'], exporters: ['prometheusremotewrite'] });
    const endpoint = new URL(otel.exporters.prometheusremotewrite.endpoint);
    expect(`${endpoint.hostname}:${endpoint.port}${endpoint.pathname}`).toBe('prometheus:9090/api/v1/write');
    expect(services.prometheus!.command).toContain('--web.enable-remote-write-receiver');
    expect(services.otelcol!.depends_on?.prometheus).toBeDefined();
  });
});

describe('deploy/ configs', () => {
  const users = read('deploy/clickhouse/users.d/agenttail-users.xml');

  it('defines the writer and the read-only Grafana user, passwords from variables the ClickHouse services set', () => {
    expect(users).toMatch(/<agenttail>[\s\S]*<password from_env="AGENTTAIL_CLICKHOUSE_PASSWORD"\/>[\s\S]*<\/agenttail>/);
    const grafana = /<grafana>([\s\S]*?)<\/grafana>/.exec(users)![1]!;
    expect(grafana).toContain('<password from_env="GRAFANA_CLICKHOUSE_PASSWORD"/>');
    expect(grafana).toContain('<profile>grafana_readonly</profile>');
    expect(grafana).toContain('GRANT SELECT, SHOW ON agenttail.*');
    expect(grafana).not.toMatch(/INSERT|CREATE|ALTER|DROP/);
    const profile = /<grafana_readonly>([\s\S]*?)<\/grafana_readonly>/.exec(users)![1]!;
    expect(profile).toContain('<readonly>1</readonly>');
    expect(profile).toMatch(/<max_execution_time>[\s\S]*<changeable_in_readonly\/>[\s\S]*<\/max_execution_time>/);
    for (const n of ['clickhouse', 'ch-1', 'ch-2']) {
      for (const v of [...users.matchAll(/from_env="(\w+)"/g)].map((m) => m[1]!)) expect(services[n]!.environment, `${n}: ${v}`).toHaveProperty(v);
      expect(binds(services[n]!)).toContainEqual(['deploy/clickhouse/users.d', '/etc/clickhouse-server/users.d']);
    }
    const ds = parseYaml(read('dashboards/provisioning/datasources/clickhouse.yaml')) as { datasources: { type: string; jsonData: { username?: string } }[] };
    expect(ds.datasources.find((d) => d.type === 'grafana-clickhouse-datasource')!.jsonData.username).toBe('grafana');
  });

  it('configures a cluster whose name, macros and Keeper agree with the compose services', () => {
    const cluster = read('deploy/clickhouse-cluster/config.d/cluster.xml');
    const name = /<remote_servers[^>]*>\s*<(\w+)>/.exec(cluster)![1]!;
    const hosts = [...cluster.matchAll(/<host>([\w-]+)<\/host>/g)].map((m) => m[1]!);
    for (const h of hosts) expect(names, h).toContain(h);
    for (const n of [1, 2]) {
      const macros = read(`deploy/clickhouse-cluster/macros-ch-${n}.xml`);
      expect(macros).toContain(`<cluster>${name}</cluster>`);
      expect(macros).toContain(`<replica>ch-${n}</replica>`);
      expect(binds(services[`ch-${n}`]!)).toContainEqual([`deploy/clickhouse-cluster/macros-ch-${n}.xml`, '/etc/clickhouse-server/config.d/macros.xml']);
    }
    expect(read('deploy/keeper/keeper_config.xml')).toContain('<tcp_port>9181</tcp_port>');
  });

  it('routes by the session attribute to both agenttail instances (load_balancing exporter)', () => {
    const otel = parseYaml(read('deploy/otelcol/config.yaml')) as {
      receivers: Record<string, unknown>;
      processors: Record<string, unknown>;
      exporters: Record<string, { routing_key: string; routing_attributes: string[]; resolver: { static: { hostnames: string[] } } }>;
      service: { pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> };
    };
    const lb = otel.exporters.load_balancing!;
    expect(lb.routing_key).toBe('attributes');
    expect(lb.routing_attributes).toEqual(['gen_ai.conversation.id']);
    expect(lb.resolver.static.hostnames.sort()).toEqual(['agenttail-1:4317', 'agenttail-2:4317']);
    for (const p of Object.values(otel.service.pipelines)) {
      for (const r of p.receivers) expect(otel.receivers).toHaveProperty(r);
      for (const r of p.processors) expect(otel.processors).toHaveProperty(r);
      for (const r of p.exporters) expect(otel.exporters).toHaveProperty(r);
    }
    expect(binds(services.otelcol!)).toEqual([['deploy/otelcol/config.yaml', '/etc/otelcol-contrib/config.yaml']]);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');

  it('builds in stages from a pinned Node 20 image and runs the collector as a non-root user', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\w+))?$/gm)];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f[1]).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    expect(dockerfile).toMatch(/^COPY --from=build /m);
    const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('node');
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/cli.js"]');
    expect(dockerfile).toContain('CMD ["serve"]');
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('copies only paths that exist and that .dockerignore keeps', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(/\s+/)) {
        expect(existsSync(`${ROOT}${src}`), src).toBe(true);
        expect(ignored.includes(src), `${src} is excluded by .dockerignore`).toBe(false);
      }
    }
    expect(ignored).toContain('node_modules');
    expect(ignored).toContain('.git');
  });
});
