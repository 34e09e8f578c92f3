// The monitor's live dashboard: polls /api/status and redraws. Each chart's element carries
// data-points (points drawn) and data-drawn (redraws), and each alert row data-rule and data-state,
// so a test (or a script) can read from the page what it shows.
(() => {
  'use strict';
  const MiB = 1024 * 1024;
  const colors = ['#2e90fa', '#f79009', '#d92d20', '#7a5af8', '#12b76a', '#667085'];

  // Each chart: series read from the history columns (k), converted (f), on a left (0) or right (1) axis.
  const charts = [
    { id: 'queries', axes: ['queries/s', 'ms'], series: [
      { label: 'queries/s', k: 'qps', side: 0 },
      { label: 'p50 ms', k: 'p50', side: 1 },
      { label: 'p95 ms', k: 'p95', side: 1 },
      { label: 'p99 ms', k: 'p99', side: 1 },
    ] },
    { id: 'ingestion', axes: ['events/s', 'oldest waiting s'], series: [
      { label: 'document events/s', k: 'eventsPerSecond', side: 0 },
      { label: 'oldest unindexed event, s', k: 'backlogAgeMs', f: v => v / 1000, side: 1 },
    ] },
    { id: 'streams', axes: ['entries'], series: [
      { label: 'events lag', k: 'eventsLag', side: 0 },
      { label: 'events pending', k: 'eventsPending', side: 0 },
      { label: 'queries lag', k: 'queriesLag', side: 0 },
      { label: 'queries pending', k: 'queriesPending', side: 0 },
    ] },
    { id: 'memory', axes: ['MiB', '% of maxmemory'], series: [
      { label: 'used MiB', k: 'usedMemory', f: v => v / MiB, side: 0 },
      { label: 'maxmemory MiB', k: 'maxMemory', f: v => (v > 0 ? v / MiB : null), side: 0, dash: [6, 4] },
      { label: 'index MiB', k: 'indexMemory', f: v => v / MiB, side: 0 },
      // Used against the limit, on its own axis: a small used figure stays readable beside a large maxmemory.
      { label: 'used % of maxmemory', k: 'usedMemory', side: 1, ratio: 'maxMemory' },
    ] },
    { id: 'index', axes: ['vectors', 'watches'], series: [
      { label: 'vectors (passages)', k: 'vectors', side: 0 },
      { label: 'watches (standing queries)', k: 'watches', side: 1 },
    ] },
    { id: 'ef', axes: ['search_ef', 'recall'], series: [
      { label: 'search_ef', k: 'searchEf', side: 0 },
      { label: 'recall', k: 'recall', side: 1 },
    ] },
  ];

  const $ = id => document.getElementById(id);
  const hasCharts = typeof uPlot === 'function';
  const plots = {};
  let updates = 0;
  let refreshMs = 1000;

  function notice(text) {
    const el = $('notice');
    el.textContent = text;
    el.hidden = !text;
  }

  function width(el) { return Math.max(300, el.clientWidth); }

  function build(def) {
    const el = $('chart-' + def.id);
    let drawn = 0;
    const opts = {
      width: width(el),
      height: 220,
      scales: { x: { time: true } },
      series: [{}].concat(def.series.map((s, i) => ({
        label: s.label, stroke: colors[i % colors.length], width: 2, dash: s.dash, spanGaps: true,
        scale: s.side === 1 ? 'right' : 'left',
        value: (u, v) => (v == null ? '–' : +v.toFixed(v < 10 ? 3 : 1)),
      }))),
      axes: [{}, { scale: 'left', label: def.axes[0] }].concat(def.axes.length > 1 ? [{ scale: 'right', side: 1, label: def.axes[1], grid: { show: false } }] : []),
      hooks: { draw: [() => { el.dataset.drawn = String(++drawn); }] },
    };
    return new uPlot(opts, [[]].concat(def.series.map(() => [])), el);
  }

  function column(history, s) {
    const values = history[s.k] || [];
    if (s.ratio) {
      const limits = history[s.ratio] || [];
      return values.map((v, i) => (v == null || !(limits[i] > 0) ? null : (100 * v) / limits[i]));
    }
    return values.map(v => (v == null ? null : (s.f ? s.f(v) : v)));
  }

  function drawCharts(status) {
    const h = status.history;
    const xs = (h.t || []).map(t => t / 1000);
    for (const def of charts) {
      const el = $('chart-' + def.id);
      const data = [xs].concat(def.series.map(s => column(h, s)));
      el.dataset.points = String(xs.length);
      el.dataset.last = JSON.stringify(data.slice(1).map(c => (c.length ? c[c.length - 1] : null)));
      if (!hasCharts) continue;
      plots[def.id] = plots[def.id] || build(def);
      plots[def.id].setData(data);
    }
  }

  function fmt(v, digits) {
    if (v == null) return '–';
    return Number(v).toLocaleString('en', { maximumFractionDigits: digits == null ? 1 : digits });
  }

  function time(ms) { return ms ? new Date(ms).toLocaleTimeString('en-GB') : '–'; }

  function tiles(status) {
    const p = status.latest;
    const active = status.activeAlerts.length;
    const items = p ? [
      ['queries/s', fmt(p.queriesPerSecond, 2)],
      ['p95 latency', fmt(p.latencyP95Ms) + ' ms'],
      ['p99 latency', fmt(p.latencyP99Ms) + ' ms'],
      ['document events/s', fmt(p.eventsPerSecond, 2)],
      ['oldest unindexed', p.backlogAgeMs == null ? '–' : fmt(p.backlogAgeMs / 1000) + ' s'],
      ['vectors', fmt(p.vectors, 0)],
      ['watches', fmt(p.watches, 0)],
      ['memory', fmt(p.usedMemoryBytes / MiB) + (p.maxMemoryBytes > 0 ? ' / ' + fmt(p.maxMemoryBytes / MiB, 0) : '') + ' MiB'],
      ['search_ef', fmt(p.searchEf, 0)],
      ['alerts firing', String(active), active > 0],
    ] : [['waiting for the first evaluation', '…']];
    $('tiles').replaceChildren(...items.map(([label, value, alerting]) => {
      const tile = document.createElement('div');
      tile.className = 'tile' + (alerting ? ' alerting' : '');
      tile.innerHTML = '<div class="value"></div><div class="label"></div>';
      tile.firstChild.textContent = value;
      tile.lastChild.textContent = label;
      return tile;
    }));
  }

  function row(cells, attrs) {
    const tr = document.createElement('tr');
    for (const [name, value] of Object.entries(attrs || {})) tr.setAttribute(name, value);
    for (const [cls, text] of cells) {
      const td = document.createElement('td');
      if (cls) td.className = cls;
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }

  function alertName(a) { return a.subject ? a.rule + ' · ' + a.subject : a.rule; }

  function lists(status) {
    const active = status.activeAlerts;
    $('active-count').textContent = String(active.length);
    $('active-count').className = 'count' + (active.length ? ' alerting' : '');
    $('active-alerts').tBodies[0].replaceChildren(...(active.length ? active.map(a => row(
      [['', time(a.since)], ['sev', a.severity], ['', alertName(a)], ['', a.summary]],
      { class: 'alert ' + a.severity, 'data-rule': a.rule, 'data-subject': a.subject, 'data-state': 'firing', title: a.action ? 'Action: ' + a.action : '' })) : [row([['', ''], ['', ''], ['', 'none'], ['', '']])]));
    $('recent-alerts').tBodies[0].replaceChildren(...status.recentAlerts.map(a => row(
      [['', time(a.at)], ['state', a.state], ['', alertName(a)], ['', a.summary]],
      { class: 'alert ' + a.state, 'data-rule': a.rule, 'data-subject': a.subject, 'data-state': a.state })));
    $('groups').tBodies[0].replaceChildren(...status.groups.map(g => row(
      [['', g.stream], ['', g.group + (g.exists ? '' : ' (missing)')], ['num', fmt(g.lag, 0)], ['num', fmt(g.pending, 0)], ['num', g.liveConsumers + ' / ' + g.consumers]],
      { 'data-group': g.group })));
    $('dead-letters').tBodies[0].replaceChildren(...status.deadLetters.map(d => row(
      [['', d.stream], ['num', fmt(d.length, 0)], ['num', fmt(d.added, 0)]], { 'data-stream': d.stream })));
    const s = status.settings;
    $('settings').textContent = s
      ? `search_ef ${fmt(s.searchEf, 0)} (tuning ${s.tuningEnabled ? 'on' : 'off'}, ${s.minEf}–${s.maxEf}, recall floor ${s.recallFloor}, p99 budget ${s.latencyBudgetMs} ms)` +
        (s.searchEfReason ? ' — last change: ' + s.searchEfReason : '')
      : '';
  }

  async function poll() {
    try {
      const response = await fetch('api/status', { cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const status = await response.json();
      refreshMs = status.refreshMs || refreshMs;
      drawCharts(status);
      tiles(status);
      lists(status);
      $('connection').textContent = 'live';
      $('connection').className = 'connection live';
      $('evaluated').textContent = status.latest
        ? `evaluated ${time(status.latest.at)} · window ${status.windowSeconds} s · every ${status.evaluationIntervalMs / 1000} s`
        : '';
      document.body.dataset.updates = String(++updates);
      document.body.dataset.alerts = String(status.activeAlerts.length);
    } catch (e) {
      $('connection').textContent = 'monitor unreachable: ' + e.message;
      $('connection').className = 'connection stale';
    }
    setTimeout(poll, refreshMs);
  }

  document.body.dataset.charts = hasCharts ? 'uplot' : 'missing';
  if (!hasCharts) notice('This monitor was built without its chart library (npm was missing at build time): figures only. Install Node.js and npm and rebuild.');
  window.addEventListener('resize', () => {
    for (const def of charts) {
      if (plots[def.id]) plots[def.id].setSize({ width: width($('chart-' + def.id)), height: 220 });
    }
  });
  poll();
})();
