import { formatBytes, formatCount, formatMs, formatPercent, formatRatio } from './format.js';
import type { ChartSpec } from './history-chart.js';

/** The charts over Metrics.history, in page order. Colours: one hue per meaning, the same on every chart. */
const BLUE = '#2f6fde';
const TEAL = '#16a394';
const AMBER = '#d9860b';
const RED = '#d43c3c';
const PURPLE = '#7a4fd1';
const GREY = '#7b8494';

const percentOfRatio = (ratio: number | null) => (ratio === null ? null : ratio * 100);

export const CHART_SPECS: ChartSpec[] = [
  {
    id: 'requests',
    title: 'Request rate',
    series: [{ label: 'req/s', color: BLUE, value: (p) => p.requestsPerSecond }],
    format: { y: (v) => (v === null ? '–' : `${formatCount(v)}/s`) },
    min: { y: 0 },
  },
  {
    id: 'latency',
    title: 'HTTP latency',
    series: [
      { label: 'p50', color: TEAL, value: (p) => p.latency.p50Ms },
      { label: 'p95', color: AMBER, value: (p) => p.latency.p95Ms },
      { label: 'p99', color: RED, value: (p) => p.latency.p99Ms },
    ],
    format: { y: formatMs },
    min: { y: 0 },
  },
  {
    id: 'errors',
    title: 'Error rate',
    series: [{ label: 'errors', color: RED, value: (p) => percentOfRatio(p.errorRate) }],
    format: { y: formatPercent },
    min: { y: 0 },
  },
  {
    id: 'analytics',
    title: 'Analytics resolver latency (@cached fields)',
    series: [
      { label: 'p50', color: TEAL, value: (p) => p.analyticsLatency.p50Ms },
      { label: 'p95', color: AMBER, value: (p) => p.analyticsLatency.p95Ms },
      { label: 'p99', color: RED, value: (p) => p.analyticsLatency.p99Ms },
    ],
    format: { y: formatMs },
    min: { y: 0 },
  },
  {
    id: 'cache',
    title: 'Cache hit rate',
    series: [{ label: 'hit rate', color: TEAL, value: (p) => percentOfRatio(p.cacheHitRate) }],
    format: { y: (v) => formatRatio(v === null ? null : v / 100) },
    min: { y: 0 },
    max: { y: 100 },
  },
  {
    id: 'pool',
    title: 'Database pool',
    series: [
      { label: 'total', color: BLUE, value: (p) => p.poolTotal },
      { label: 'idle', color: TEAL, value: (p) => p.poolIdle },
      { label: 'waiting', color: RED, value: (p) => p.poolWaiting },
      { label: 'utilisation', color: PURPLE, value: (p) => p.poolUtilizationPercent, scale: '%' },
    ],
    format: { y: formatCount, '%': formatPercent },
    min: { y: 0, '%': 0 },
    max: { '%': 100 },
  },
  {
    id: 'event-loop',
    title: 'Event-loop lag p99',
    series: [{ label: 'lag p99', color: AMBER, value: (p) => p.eventLoopLagP99Ms }],
    format: { y: formatMs },
    min: { y: 0 },
  },
  {
    id: 'memory',
    title: 'Memory',
    series: [
      { label: 'RSS', color: PURPLE, value: (p) => p.rssBytes },
      { label: 'L1 cache', color: GREY, value: (p) => p.l1Bytes },
    ],
    format: { y: formatBytes },
    min: { y: 0 },
  },
  {
    id: 'jobs',
    title: 'Jobs finished per 10 s',
    series: [
      { label: 'completed', color: TEAL, value: (p) => p.jobsCompleted },
      { label: 'failed', color: RED, value: (p) => p.jobsFailed },
    ],
    format: { y: formatCount },
    min: { y: 0 },
  },
];
