/**
 * Where a command finds the collector it is configured for: `--url` / `--grpc` when given, else the receivers' host and
 * port of the same configuration `serve` loads (file, AGENTTAIL_CFG__… environment, defaults). A CLI that defaulted to
 * :4318 whatever the config said read another collector's numbers (issue 25).
 */
import type { ReceiveConfig } from '../config/receive.js';

/** The collector's HTTP base URL, and how it was chosen (for the output's source line); url null = no HTTP receiver. */
export interface CollectorUrl {
  url: string | null;
  /** `--url`, or the config fields it came from; when url is null, why there is none. */
  origin: string;
}

/** The HTTP base URL from `--url`, else from receive.http; null when the config has no reachable HTTP receiver. */
export function collectorHttpUrl(receive: ReceiveConfig, flag: string | undefined): CollectorUrl {
  if (flag !== undefined) return { url: flag.replace(/\/$/, ''), origin: '--url' };
  const { enabled, host, port } = receive.http;
  if (!enabled) return { url: null, origin: 'receive.http.enabled is false in the config' };
  if (port === 0) return { url: null, origin: 'receive.http.port is 0 in the config (a port chosen at start); pass --url' };
  return { url: `http://${dialHost(host)}:${port}`, origin: 'receive.http.host/port of the config' };
}

/** The gRPC target (`host:port`) from `--grpc`, else from receive.grpc. */
export function collectorGrpcTarget(receive: ReceiveConfig, flag: string | undefined): string {
  if (flag !== undefined) return flag;
  return `${dialHost(receive.grpc.host)}:${receive.grpc.port}`;
}

/** A bind address as an address to dial: a wildcard bind is reached on loopback; an IPv6 literal goes in brackets. */
export function dialHost(bindHost: string): string {
  if (bindHost === '0.0.0.0' || bindHost === '') return '127.0.0.1';
  if (bindHost === '::' || bindHost === '[::]') return '[::1]';
  return bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
}
