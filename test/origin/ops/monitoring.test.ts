/**
 * The alert rules and the dashboard of origin/monitoring/ against a real origin:
 *
 * - every metric name a rule or a dashboard query selects is declared in the /metrics of a real
 *   origin that served some traffic (a renamed metric cannot silently turn an alert off), and the
 *   checker itself catches a name that is not;
 * - every alert has a severity, the annotations an operator needs and a dashboard panel querying
 *   its metrics; the dashboard is well formed and takes its datasource from a variable;
 * - alerts.test.yml has, for every alert, a case where it fires and one where it stays quiet, and
 *   promtool runs them (`check rules`, `test rules`), and lints the real scrape (`check metrics`);
 * - the README's alert table names every alert.
 *
 * promtool comes from Debian's `prometheus` package (or PROMTOOL=path): without it the promtool
 * cases skip, naming it; with IMGEDGE_REQUIRE_SERVICES=1 they fail instead.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlertRule,
  type Dashboard,
  dashboardQueries,
  loadDashboard,
  loadRules,
  loadRuleTests,
  metricNames,
  monitoringExpressions,
  promtool,
  type RuleTestCase,
  undeclaredMetrics,
} from '../../../scripts/lib/monitoring.js';
import { testDbKind } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { needPromtool } from '../../support/services.js';

/** The Grafana variable every panel and query takes its data source from. */
const DATASOURCE = { type: 'prometheus', uid: ['$', '{datasource}'].join('') };

const README = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');

describe(`monitoring: alert rules and dashboard against a real origin [${testDbKind}]`, () => {
  let origin: TestOrigin;
  let scrape: string;
  let rules: AlertRule[];
  let dashboard: Dashboard;
  let tests: RuleTestCase[];

  beforeAll(async () => {
    rules = loadRules();
    dashboard = loadDashboard();
    tests = loadRuleTests();
    origin = await startTestOrigin();
    // Traffic that makes labelled series appear: an upload, a variant miss and hit, a 404, /health.
    const token = await origin.token();
    const up = await origin.upload(await photoJpeg(64, 48, 21), token);
    expect(up.status).toBe(201);
    const { id } = (await up.json()) as { id: string };
    for (let i = 0; i < 2; i++) expect((await origin.variant(`w=20/${id}`, 'format=webp')).status).toBe(200);
    expect((await fetch(`${origin.url}/no-such-route`)).status).toBe(404);
    expect((await fetch(`${origin.url}/health`)).status).toBe(200);
    scrape = await (await fetch(`${origin.url}/metrics`)).text();
  }, 60_000);
  afterAll(() => origin?.close());

  it('every metric the rules and the dashboard use is one the origin exposes', () => {
    const expressions = monitoringExpressions(rules, dashboard);
    expect(expressions.length).toBeGreaterThan(rules.length);
    expect(undeclaredMetrics(expressions, scrape)).toEqual([]);
    // The new series are there with values, not only declared.
    expect(scrape).toMatch(/^imgedge_health_check_status\{check="storage",status="ok"\} 1$/m);
    expect(scrape).toMatch(/^imgedge_database_query_duration_seconds_count [1-9]\d*$/m);
    expect(scrape).toMatch(/^imgedge_transform_queue_capacity \d+$/m);
    expect(scrape).toMatch(/^imgedge_memory_limit_bytes (\+Inf|\d+)$/m);
  });

  it('the check catches a metric that the origin does not expose', () => {
    const renamed = rules.map((r) =>
      r.alert === 'ImgedgeStorageErrors'
        ? { ...r, expr: r.expr.replace('imgedge_storage_errors_total', 'imgedge_storage_failures_total') }
        : r,
    );
    expect(undeclaredMetrics(monitoringExpressions(renamed, dashboard), scrape)).toEqual([
      'alerts.yml ImgedgeStorageErrors: imgedge_storage_failures_total',
    ]);
    // A histogram's series count as its family; a counter's `_bucket` does not.
    expect(
      undeclaredMetrics([{ where: 'x', expr: 'imgedge_transform_duration_seconds_count' }], scrape),
    ).toEqual([]);
    expect(undeclaredMetrics([{ where: 'x', expr: 'imgedge_uploads_total_bucket' }], scrape)).toEqual([
      'x: imgedge_uploads_total_bucket',
    ]);
  });

  it('reads metric names out of PromQL: not functions, keywords, labels, ranges or strings', () => {
    expect([
      ...metricNames(
        'sum by (le, route) (rate(a_bucket{route!~"b_c|/health"}[5m])) / on (i) group_left(z) d offset 5m > 1e9 and bool +Inf',
      ),
    ]).toEqual(['a_bucket', 'd']);
    expect([...metricNames('1 - x:ratio / ignoring(q) histogram_quantile(0.99, y)')]).toEqual([
      'x:ratio',
      'y',
    ]);
    expect(dashboardQueries({ ...dashboard, panels: [] }).flatMap((q) => [...metricNames(q)])).toContain(
      'imgedge_http_requests_total',
    );
  });

  it('every alert: a severity, the annotations an operator needs, and a dashboard panel querying its metrics', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'ImgedgeDatabaseErrors',
        'ImgedgeHealthCheckFailing',
        'ImgedgeHigh5xxRatio',
        'ImgedgeHighP99Latency',
        'ImgedgeMemoryNearLimit',
        'ImgedgeOriginDown',
        'ImgedgeOverloadRejections',
        'ImgedgeStorageErrors',
        'ImgedgeTransformQueueSaturated',
        'ImgedgeVariantCacheHitRatioLow',
      ].sort(),
    );
    for (const rule of rules) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels.severity);
      for (const key of ['summary', 'description', 'first_check', 'runbook', 'dashboard_panel']) {
        expect(rule.annotations[key]?.length ?? 0, `${rule.alert} ${key}`).toBeGreaterThan(10);
      }
      expect(rule.annotations.runbook).toBe(`README.md#monitoring-and-alerts (${rule.alert})`);
      const panel = dashboard.panels.find((p) => p.title === rule.annotations.dashboard_panel);
      expect(panel, `${rule.alert}: no panel "${rule.annotations.dashboard_panel}"`).toBeDefined();
      const shown = new Set((panel!.targets ?? []).flatMap((t) => [...metricNames(t.expr)]));
      for (const name of metricNames(rule.expr)) expect(shown, `${rule.alert}: ${name}`).toContain(name);
    }
  });

  it('the dashboard: a datasource variable (no fixed uid), unique panel ids, a query on every panel', () => {
    expect(dashboard.uid).toBe('imgedge-origin');
    const variables = dashboard.templating.list;
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
    expect(variables.map((v) => v.name)).toEqual(expect.arrayContaining(['job', 'instance']));
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.datasource, panel.title).toEqual(DATASOURCE);
      expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
      expect(panel.gridPos, panel.title).toBeDefined();
      for (const target of panel.targets ?? []) {
        expect(target.datasource, `${panel.title} ${target.refId}`).toEqual(DATASOURCE);
        expect(target.expr, `${panel.title} ${target.refId}`).toContain('instance=~"$instance"');
      }
    }
    // No datasource uid is written anywhere but as the variable.
    const uids = [...JSON.stringify(dashboard).matchAll(/"uid":"([^"]*)"/g)].map((m) => m[1]);
    expect(
      uids.filter((u) => u !== DATASOURCE.uid && u !== 'imgedge-origin' && u !== '-- Grafana --'),
    ).toEqual([]);
  });

  it('alerts.test.yml: for every alert a case where it fires and one where it stays quiet', () => {
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const rule of rules) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${rule.alert} has no firing case`,
      ).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${rule.alert} has no quiet case`,
      ).toBe(true);
    }
    expect(cases.every((c) => rules.some((r) => r.alert === c.alertname))).toBe(true);
  });

  it('the README lists every alert in its alert table', () => {
    const start = README.indexOf('\n## Monitoring and alerts\n');
    expect(start).toBeGreaterThan(0);
    const section = README.slice(start, README.indexOf('\n## ', start + 1));
    const listed = [...section.matchAll(/^\| `(Imgedge\w+)` \|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(rules.map((r) => r.alert).sort());
  });

  it('promtool check rules and test rules pass', async (ctx) => {
    needPromtool(ctx);
    const check = await promtool(['check', 'rules', 'alerts.yml']);
    expect(check.code, check.output).toBe(0);
    expect(check.output).toContain(`SUCCESS: ${rules.length} rules found`);
    const unit = await promtool(['test', 'rules', 'alerts.test.yml']);
    expect(unit.code, unit.output).toBe(0);
    expect(unit.output).toContain('SUCCESS');
  });

  it('promtool check metrics finds nothing in the real scrape, and does find a bad name', async (ctx) => {
    needPromtool(ctx);
    const lint = await promtool(['check', 'metrics'], scrape);
    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
    // The lint is live: a gauge named like a counter is reported.
    const bad = await promtool(
      ['check', 'metrics'],
      '# HELP imgedge_queue_total Waiting\n# TYPE imgedge_queue_total gauge\nimgedge_queue_total 1\n',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain('non-counter metrics should not have "_total" suffix');
  });
});
