/**
 * The origin's alert rules and dashboard (origin/monitoring/) as data, and the checks that keep
 * them honest, shared by `npm run check:monitoring` (scripts/check-monitoring.ts) and
 * test/origin/ops/monitoring.test.ts:
 *
 * - promtool (Debian's `prometheus` package, or PROMTOOL=path): `check rules`, `test rules`,
 *   `check metrics` on a scrape;
 * - every metric name a rule or a dashboard query uses must be declared (`# TYPE`) in a real
 *   origin's /metrics, so a renamed metric cannot silently turn an alert off.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const MONITORING_DIR = resolve(import.meta.dirname, '../../origin/monitoring');
export const RULES_FILE = join(MONITORING_DIR, 'alerts.yml');
export const RULE_TESTS_FILE = join(MONITORING_DIR, 'alerts.test.yml');
export const DASHBOARD_FILE = join(MONITORING_DIR, 'dashboard.json');

/** What to do when promtool is missing, for messages. */
export const PROMTOOL_HINT =
  "promtool not found: install Debian's prometheus package (apt-get install prometheus), or set PROMTOOL to its path";

/** Series Prometheus adds to every scrape target itself; no /metrics declares them. */
export const SCRAPE_SERIES: ReadonlySet<string> = new Set(['up']);

// ---------------------------------------------------------------------------------------------
// promtool

/** promtool's path: PROMTOOL, else the first `promtool` on PATH, else undefined. */
export function promtoolPath(): string | undefined {
  if (process.env.PROMTOOL) return process.env.PROMTOOL;
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'promtool');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface PromtoolRun {
  command: string;
  code: number | null;
  /** stdout and stderr together, as promtool printed them. */
  output: string;
}

/** Runs `promtool ...args` (with `stdin` piped in, if given) in origin/monitoring/. */
export function promtool(args: readonly string[], stdin?: string): Promise<PromtoolRun> {
  const bin = promtoolPath();
  if (!bin) return Promise.reject(new Error(PROMTOOL_HINT));
  return new Promise((done, fail) => {
    const child = spawn(bin, args, { cwd: MONITORING_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.once('error', fail);
    child.once('close', (code) => done({ command: `promtool ${args.join(' ')}`, code, output }));
    child.stdin.end(stdin ?? '');
  });
}

/** `promtool --version`'s first line (e.g. `promtool, version 2.42.0+ds …`). */
export async function promtoolVersion(): Promise<string> {
  return (await promtool(['--version'])).output.split('\n')[0] ?? '';
}

// ---------------------------------------------------------------------------------------------
// The rules and the dashboard as data

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function loadRules(file = RULES_FILE): AlertRule[] {
  const doc = parseYaml(readFileSync(file, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

export interface RuleTestCase {
  name?: string;
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
}

export function loadRuleTests(file = RULE_TESTS_FILE): RuleTestCase[] {
  return (parseYaml(readFileSync(file, 'utf8')) as { tests: RuleTestCase[] }).tests;
}

export interface DashboardPanel {
  id: number;
  title: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  targets?: { refId: string; expr: string; datasource?: { type?: string; uid?: string } }[];
  gridPos?: { x: number; y: number; w: number; h: number };
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
}

export function loadDashboard(file = DASHBOARD_FILE): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** Every PromQL expression of the dashboard: panel queries and the selectors of its variables. */
export function dashboardQueries(dashboard: Dashboard): string[] {
  const panels = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const variables = dashboard.templating.list.flatMap((v) => {
    if (v.type !== 'query') return [];
    const query = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    // label_values(<selector>, <label>): only the selector is PromQL.
    const selector = /^label_values\((.*),\s*\w+\)$/.exec(query.trim())?.[1];
    return [selector ?? query];
  });
  return [...panels, ...variables];
}

// ---------------------------------------------------------------------------------------------
// Metric names

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: identifiers left once strings, label matchers,
 * ranges and grouping clauses are removed, that are neither a call (`rate(`, `sum (`) nor a
 * keyword. Enough for the rules and queries kept here (not a full PromQL parser).
 */
export function metricNames(expr: string): Set<string> {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.:$])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = m[0];
    const next = bare.slice((m.index ?? 0) + name.length).trimStart();
    if (next.startsWith('(') || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return names;
}

/** `# TYPE` lines of a Prometheus text exposition: family name → type. */
export function declaredFamilies(exposition: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(m[1]!, m[2]!);
  return families;
}

/** Is `name` a series of a declared family (a histogram's `_bucket`, `_sum`, `_count` included)? */
export function isExposed(name: string, families: ReadonlyMap<string, string>): boolean {
  if (families.has(name) || SCRAPE_SERIES.has(name)) return true;
  const suffix = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!suffix) return false;
  const type = families.get(suffix[1]!);
  return type === 'histogram' || (type === 'summary' && suffix[2] !== 'bucket');
}

/** `<where>: <name>` for every metric the expressions use that the scrape does not declare. */
export function undeclaredMetrics(
  expressions: readonly { where: string; expr: string }[],
  exposition: string,
): string[] {
  const families = declaredFamilies(exposition);
  return expressions.flatMap(({ where, expr }) =>
    [...metricNames(expr)].filter((n) => !isExposed(n, families)).map((n) => `${where}: ${n}`),
  );
}

/** Every expression of the rules and the dashboard, with where it comes from. */
export function monitoringExpressions(
  rules: readonly AlertRule[] = loadRules(),
  dashboard: Dashboard = loadDashboard(),
): { where: string; expr: string }[] {
  return [
    ...rules.map((r) => ({ where: `alerts.yml ${r.alert}`, expr: r.expr })),
    ...dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `dashboard.json "${p.title}" ${t.refId}`, expr: t.expr })),
    ),
    ...dashboardQueries({ ...dashboard, panels: [] }).map((expr) => ({
      where: 'dashboard.json variables',
      expr,
    })),
  ];
}
