/**
 * THE region table: where a model call ran, from what clients send. Data plus one resolver; docs/providers.md
 * documents it row by row. The first source that says anything wins, in this order:
 *
 * 1. an explicit span attribute (REGION_ATTRIBUTES): a gateway that routes calls states where it sent them;
 * 2. the configured host map (`conventions.endpointRegions`, exact host or `*.suffix`): Azure OpenAI resource
 *    hosts name the resource, not the region, so only the operator can say;
 * 3. the host itself (HOST_PATTERNS): Bedrock, Vertex, Azure regional hosts, OpenAI/Anthropic hosts;
 * 4. the resource's `cloud.region` — where the CLIENT runs, used only for calls whose host says nothing
 *    (no host at all, or one not in the table): a deployment that calls a co-located model endpoint;
 * 5. otherwise `unknown`.
 *
 * Region values are the provider's own names (`us-east-1`, `europe-west4`, `eu`); `global` means the host routes
 * to any geography (OpenAI's and Anthropic's default hosts, Vertex's global endpoint).
 */
import type { RegionSource } from '../model/span.js';

/** Span attributes a gateway (or the client) may set to say where the call ran; first present wins. */
export const REGION_ATTRIBUTES: readonly string[] = ['agenttail.provider.region', 'gen_ai.provider.region', 'cloud.region', 'aws.region'];

/** Resource attribute read last (the client's own region). */
export const RESOURCE_REGION_ATTRIBUTE = 'cloud.region';

/** The region of a call that nothing located. */
export const UNKNOWN_REGION = 'unknown';


/** One row of the host table: a host pattern, the provider it names, and the region (a capture group or a constant). */
export interface HostPattern {
  /** Matched against the lowercased host name. */
  pattern: RegExp;
  /** GenAI semconv `gen_ai.provider.name` of the host. */
  provider: string;
  /** The region: the pattern's first capture group when null. */
  region: string | null;
  /** A real host the row was written for (tests run the table over these). */
  example: string;
}

/** Provider hosts, most specific first. */
export const HOST_PATTERNS: readonly HostPattern[] = [
  // Bedrock runtime/control/agent hosts, FIPS variants, VPC endpoints, GovCloud and China partitions.
  {
    pattern: /(?:^|\.)bedrock(?:-runtime|-agent-runtime|-agent)?(?:-fips)?\.([a-z]{2}(?:-gov)?-[a-z]+-\d+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/,
    provider: 'aws.bedrock',
    region: null,
    example: 'bedrock-runtime.eu-central-1.amazonaws.com',
  },
  // Vertex AI regional endpoints: <region>-aiplatform.googleapis.com.
  { pattern: /^([a-z]+-[a-z]+\d+)-aiplatform\.googleapis\.com$/, provider: 'gcp.vertex_ai', region: null, example: 'europe-west4-aiplatform.googleapis.com' },
  // The global Vertex endpoint routes anywhere.
  { pattern: /^aiplatform\.googleapis\.com$/, provider: 'gcp.vertex_ai', region: 'global', example: 'aiplatform.googleapis.com' },
  // Gemini API (AI Studio) has no regional hosts.
  { pattern: /^generativelanguage\.googleapis\.com$/, provider: 'gcp.gemini', region: 'global', example: 'generativelanguage.googleapis.com' },
  // Azure regional Cognitive Services hosts carry the region: <region>.api.cognitive.microsoft.com.
  { pattern: /^([a-z0-9]+)\.api\.cognitive\.microsoft\.com$/, provider: 'azure.ai.openai', region: null, example: 'swedencentral.api.cognitive.microsoft.com' },
  // Azure OpenAI / AI Foundry resource hosts name the resource, not the region (config or cloud.region decides).
  { pattern: /^[a-z0-9-]+\.(?:openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/, provider: 'azure.ai.openai', region: UNKNOWN_REGION, example: 'contoso-eu.openai.azure.com' },
  // OpenAI data residency hosts: <geo>.api.openai.com (eu.api.openai.com for European residency).
  { pattern: /^([a-z]{2})\.api\.openai\.com$/, provider: 'openai', region: null, example: 'eu.api.openai.com' },
  { pattern: /^api\.openai\.com$/, provider: 'openai', region: 'global', example: 'api.openai.com' },
  // Anthropic picks the geography per request (`inference_geo`), not per host: the default host is global.
  { pattern: /^api\.anthropic\.com$/, provider: 'anthropic', region: 'global', example: 'api.anthropic.com' },
  { pattern: /^api\.mistral\.ai$/, provider: 'mistral_ai', region: 'eu', example: 'api.mistral.ai' },
];

/** What the host table says about one host: its provider and region (`unknown` region when it does not say). */
export interface HostInfo {
  provider: string;
  region: string;
}

/** Distinct hosts remembered by hostInfo (hosts repeat across calls; the set is open-ended). */
const MAX_REMEMBERED_HOSTS = 4_096;
const hostCache = new Map<string, HostInfo | null>();

/** The host table's answer for a host, or null when no row matches. */
export function hostInfo(host: string): HostInfo | null {
  const cached = hostCache.get(host);
  if (cached !== undefined) return cached;
  const lower = host.toLowerCase();
  let found: HostInfo | null = null;
  for (const row of HOST_PATTERNS) {
    const m = row.pattern.exec(lower);
    if (m === null) continue;
    found = { provider: row.provider, region: row.region ?? m[1]! };
    break;
  }
  if (hostCache.size >= MAX_REMEMBERED_HOSTS) hostCache.clear();
  hostCache.set(host, found);
  return found;
}

/** A configured host → region map: exact hosts, and `*.suffix` entries matching any subdomain. */
export class EndpointRegions {
  private readonly exact = new Map<string, string>();
  private readonly suffixes: [string, string][] = [];

  constructor(map: Record<string, string> = {}) {
    for (const [host, region] of Object.entries(map)) {
      const h = host.toLowerCase();
      if (h.startsWith('*.')) this.suffixes.push([h.slice(1), region]);
      else this.exact.set(h, region);
    }
  }

  /** The configured region of a host, or null. */
  regionOf(host: string): string | null {
    if (this.exact.size === 0 && this.suffixes.length === 0) return null;
    const h = host.toLowerCase();
    const exact = this.exact.get(h);
    if (exact !== undefined) return exact;
    for (const [suffix, region] of this.suffixes) if (h.endsWith(suffix)) return region;
    return null;
  }
}

/** The region of a call and where it came from, following the order at the top of this file. */
export function resolveRegion(
  explicit: string | null,
  host: string,
  configured: EndpointRegions,
  resourceRegion: string | null,
): { region: string; source: RegionSource; hostProvider: string | null } {
  const info = host === '' ? null : hostInfo(host);
  const hostProvider = info?.provider ?? null;
  if (explicit !== null) return { region: explicit, source: 'attribute', hostProvider };
  const fromConfig = host === '' ? null : configured.regionOf(host);
  if (fromConfig !== null) return { region: fromConfig, source: 'config', hostProvider };
  if (info !== null && info.region !== UNKNOWN_REGION) return { region: info.region, source: 'host', hostProvider };
  if (resourceRegion !== null) return { region: resourceRegion, source: 'resource', hostProvider };
  return { region: UNKNOWN_REGION, source: 'none', hostProvider };
}
