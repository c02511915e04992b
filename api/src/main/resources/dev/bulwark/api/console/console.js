// Bulwark console: plain DOM; one library, Cytoscape.js (served from this jar), draws an incident's entities. Everything
// shown comes from finding fields, which attackers can influence, so text is only ever set with textContent (never as
// markup) or drawn on the graph's canvas as a label, and the page runs under a strict CSP.
'use strict';

(function () {
  const TOKEN_KEY = 'bulwark.token';
  const ENDED_KEY = 'bulwark.session-ended';
  const SEVERITIES = ['critical', 'high', 'medium', 'low'];
  // session: signed in through the identity provider; the browser holds an HttpOnly cookie this script never sees,
  // and sends it with the console's header (which the server requires for changes made with the cookie).
  const state = { token: null, session: false, me: null, view: 'all', next: null, selected: null, incident: null,
    timeline: null, cy: null };

  const $ = (id) => document.getElementById(id);

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  async function api(path, options) {
    const init = Object.assign({ headers: {} }, options || {});
    const auth = state.session ? { 'X-Bulwark-Console': '1' } : { Authorization: 'Bearer ' + state.token };
    init.headers = Object.assign(auth, { Accept: 'application/json' }, init.headers);
    init.cache = 'no-store';
    init.credentials = state.session ? 'same-origin' : 'omit';
    init.redirect = 'error';
    const response = await fetch(path, init);
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (response.status === 401 && state.me) {
      // A signed-in token stopped working: an OIDC access token expired, or a token was revoked.
      endSession();
    }
    if (!response.ok) {
      const message = body && body.error && body.error.message ? body.error.message : 'HTTP ' + response.status;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // "2026-03-01T10:00:00.123456Z" -> "2026-03-01 10:00:00"
  function shortTime(iso) {
    return typeof iso === 'string' ? iso.slice(0, 19).replace('T', ' ') : '';
  }

  function showError(message) { $('error').textContent = message || ''; }

  // ---------------------------------------------------------------- login
  async function login(token) {
    state.token = token;
    state.session = false;
    try {
      state.me = await api('/api/whoami');
    } catch (e) {
      state.token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      $('login-error').textContent = e.status === 401
        ? 'That token was not accepted: unknown, expired, or not issued for Bulwark.' : e.message;
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    enter();
  }

  // Signed in through the identity provider? The session cookie (if any) answers whoami.
  async function resumeSession() {
    state.session = true;
    try {
      const me = await api('/api/whoami');
      if (!me.session) throw new Error('not a session');
      state.me = me;
    } catch (e) {
      state.session = false;
      state.me = null;
      return;
    }
    enter();
  }

  // Shows the provider's sign-in when the server offers it, and picks up a session (after the provider's redirect
  // back, or a reload) unless a pasted token is in use.
  async function showSignInOptions(resume) {
    try {
      const response = await fetch('/auth/config', { credentials: 'omit', cache: 'no-store', redirect: 'error' });
      const config = response.ok ? await response.json() : null;
      if (config && config.login === true) {
        $('sso').hidden = false;
        if (resume) await resumeSession();
      }
    } catch (e) {
      // No sign-in through a provider: the token form alone.
    }
  }

  function enter() {
    $('login-error').textContent = '';
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('logout').hidden = false;
    $('principal').textContent = 'Signed in as ' + state.me.name + ' (' + state.me.role + ')'
      + (state.session ? ' through your identity provider' : '');
    const tenantInput = $('f-tenant');
    if (state.me.tenant) {
      tenantInput.value = state.me.tenant;
      tenantInput.disabled = true;
    }
    $('tab-shadow').hidden = !!state.me.tenant; // the server refuses tenants too
    $('tab-rules').hidden = !!state.me.tenant;
    // A tenant sees its isolation violations first; the SOC starts with everything.
    selectView(state.me.tenant ? 'isolation' : 'all');
  }

  function endSession() {
    sessionStorage.setItem(ENDED_KEY, state.session ? 'session' : 'token');
    logout();
  }

  async function logout() {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.session) {
      try {
        await fetch('/auth/logout', {
          method: 'POST', credentials: 'same-origin', cache: 'no-store', redirect: 'error',
          headers: { 'X-Bulwark-Console': '1' },
        });
      } catch (e) {
        // The server forgets the session when it expires anyway.
      }
    }
    state.token = null;
    state.session = false;
    state.me = null;
    location.reload();
  }

  // ---------------------------------------------------------------- search
  function selectView(view) {
    state.view = view;
    $('tab-isolation').setAttribute('aria-selected', String(view === 'isolation'));
    $('tab-all').setAttribute('aria-selected', String(view === 'all'));
    $('tab-compliance').setAttribute('aria-selected', String(view === 'compliance'));
    $('tab-incidents').setAttribute('aria-selected', String(view === 'incidents'));
    $('tab-shadow').setAttribute('aria-selected', String(view === 'shadow'));
    $('tab-rules').setAttribute('aria-selected', String(view === 'rules'));
    $('tab-overrides').setAttribute('aria-selected', String(view === 'overrides'));
    $('compliance-view').hidden = view !== 'compliance';
    $('incidents-view').hidden = view !== 'incidents';
    $('shadow-view').hidden = view !== 'shadow';
    $('rules-view').hidden = view !== 'rules';
    $('overrides-view').hidden = view !== 'overrides';
    $('findings-view').hidden = ['compliance', 'shadow', 'overrides', 'rules', 'incidents'].includes(view);
    if (view === 'incidents') {
      $('view-title').textContent = 'Incidents: ' + (state.me && state.me.tenant
        ? 'findings of your workloads told as one story' : 'findings told as one story, across tenants');
      return loadIncidents();
    }
    if (view === 'overrides') {
      $('view-title').textContent = 'Tuning: ' + (state.me && state.me.tenant
        ? 'how the SOC tuned rules for your workloads' : 'per-tenant overrides of rules and detectors');
      loadOverrides();
      return;
    }
    if (view === 'rules') {
      $('view-title').textContent = 'Rules: cost and noise of every rule';
      loadRuleStats();
      return;
    }
    if (view === 'shadow') {
      $('view-title').textContent = 'Shadow rules: hits of the rules under test, most matches first';
      loadShadow();
      return;
    }
    if (view === 'compliance') {
      $('view-title').textContent = 'Compliance: ' + (state.me && state.me.tenant
        ? 'your namespaces, per control' : 'every tenant side by side, and the cluster');
      loadCompliance();
      return;
    }
    $('view-title').textContent = view === 'isolation'
      ? 'Isolation violations: findings that involve another tenant or an isolation rule'
      : 'All findings';
    refresh();
  }

  // ---------------------------------------------------------------- tuning and shadow rules
  // Fills a table body with one row per item of an API list; the error line says why there are none. Cells are text.
  async function loadRows(path, listKey, bodyId, errorId, emptyText, row) {
    $(errorId).textContent = '';
    const body = $(bodyId);
    clear(body);
    let result;
    try {
      result = await api(path);
    } catch (e) {
      $(errorId).textContent = e.message;
      return;
    }
    if (!result[listKey].length) {
      $(errorId).textContent = emptyText;
      return;
    }
    for (const item of result[listKey]) {
      const { data, cells } = row(item);
      const tr = el('tr');
      Object.assign(tr.dataset, data);
      cells.forEach((cell) => tr.appendChild(el('td', cell)));
      body.appendChild(tr);
    }
  }

  /** What an override does, in a few words (the exception's filter text is in the API's answer). */
  function overrideAction(o) {
    if (o.disabled) return 'disabled';
    const parts = [];
    if (o.severity) parts.push('severity ' + o.severity);
    if (o.exception) parts.push('exception');
    if (o.threshold !== null && o.threshold !== undefined) parts.push('threshold ' + o.threshold);
    return parts.join(', ');
  }

  function loadOverrides() {
    return loadRows('/api/rules/overrides', 'overrides', 'overrides-body', 'o-error', 'No rule is tuned for this view.',
      (o) => ({
        data: { target: o.target, tenant: o.tenant },
        cells: [o.tenant, o.target, overrideAction(o), o.updated_by || '',
          o.updated_at ? shortTime(o.updated_at) : '', o.note || ''],
      }));
  }

  function loadRuleStats() {
    const sort = encodeURIComponent($('r-sort').value);
    return loadRows('/api/rules?size=200&sort=' + sort, 'rules', 'rules-body', 'r-error',
      'No per-rule telemetry yet: the detectors publish it every 15 s.',
      (r) => ({
        data: { rule: r.rule },
        cells: [r.rule, r.detector, r.evaluations, (r.evaluation_seconds * 1000).toFixed(1), r.matches, r.findings,
          r.folded, r.latency_mean_ms === null ? '-' : Math.round(r.latency_mean_ms),
          r.last_match ? shortTime(r.last_match) : ''],
      }));
  }

  function loadShadow() {
    return loadRows('/api/rules/shadow', 'rules', 'shadow-body', 's-error', 'No shadow rule has matched yet.',
      (rule) => ({
        data: { rule: rule.rule_id },
        cells: [rule.rule_id, rule.rule_name || '', rule.findings, rule.matches,
          rule.first_seen ? shortTime(rule.first_seen) : '', rule.last_seen ? shortTime(rule.last_seen) : ''],
      }));
  }

  // ---------------------------------------------------------------- compliance
  const SVG = 'http://www.w3.org/2000/svg';

  function svg(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    return node;
  }

  // The overall trend: per day, a bar of failing (red) results under one of passing (green) results.
  function renderTrend(days) {
    const chart = $('c-trend');
    clear(chart);
    const max = Math.max(1, ...days.filter((d) => d.snapshot_at).map((d) => d.pass + d.fail));
    const step = 580 / Math.max(1, days.length);
    days.forEach((d, i) => {
      if (!d.snapshot_at) return;
      const x = 10 + i * step;
      const fail = (d.fail / max) * 100;
      const pass = (d.pass / max) * 100;
      const title = (node, text) => { node.appendChild(svg('title', {})).textContent = text; return node; };
      const label = d.day + ': ' + d.fail + ' failing, ' + d.pass + ' passing' + (d.carried ? ' (carried over)' : '');
      chart.appendChild(title(svg('rect', { x: x.toFixed(1), y: (110 - fail).toFixed(1), width: (step * 0.8).toFixed(1),
        height: fail.toFixed(1), class: 'bar-fail' }), label));
      chart.appendChild(title(svg('rect', { x: x.toFixed(1), y: (110 - fail - pass).toFixed(1),
        width: (step * 0.8).toFixed(1), height: pass.toFixed(1), class: 'bar-pass' }), label));
    });
    $('c-trend-range').textContent = days.length
      ? days[0].day + ' to ' + days[days.length - 1].day + ': failing (red) and passing (green) results per day' : '';
  }

  async function loadCompliance() {
    $('c-error').textContent = '';
    clear($('controls-body'));
    clear($('c-trend'));
    $('c-snapshot').textContent = '';
    const p = new URLSearchParams();
    p.set('framework', $('c-framework').value);
    const namespace = $('c-namespace').value.trim();
    if (namespace) p.set('namespace', namespace);
    let report;
    try {
      report = await api('/api/compliance?' + p.toString());
    } catch (e) {
      $('c-error').textContent = e.status === 404 ? 'No compliance snapshot yet for this view.' : e.message;
      return;
    }
    $('c-snapshot').textContent = report.framework_title + ' as of ' + shortTime(report.snapshot_at) + ' UTC';
    renderTrend(report.trend || []);
    const body = $('controls-body');
    for (const control of report.controls) {
      const row = el('tr');
      row.dataset.control = control.id;
      row.appendChild(el('td', control.id));
      row.appendChild(el('td', control.title));
      row.appendChild(el('td', control.status, 'status status-' + control.status));
      row.appendChild(el('td', control.passing));
      row.appendChild(el('td', control.failing));
      const resources = (control.failing_resources || []).map((r) => r.resource);
      const more = control.failing_total - resources.length;
      row.appendChild(el('td', resources.join(', ') + (more > 0 ? ' and ' + more + ' more' : ''), 'resources'));
      row.appendChild(el('td', (control.sources || []).join(', ')));
      body.appendChild(row);
    }
  }

  function params() {
    const p = new URLSearchParams();
    const add = (name, value) => { if (value && value.trim()) p.set(name, value.trim()); };
    add('q', $('q').value);
    add('severity', $('f-severity').value);
    add('status', $('f-status').value);
    if (!state.me.tenant) add('tenant', $('f-tenant').value);
    add('rule', $('f-rule').value);
    add('namespace', $('f-namespace').value);
    add('from', $('f-from').value);
    if (state.view === 'isolation') p.set('isolation', 'true');
    return p;
  }

  async function refresh() {
    showError('');
    state.next = null;
    clear($('findings-body'));
    hideDetails();
    const p = params();
    try {
      const [page, stats] = await Promise.all([
        api('/api/findings?' + p.toString() + '&size=50'),
        api('/api/stats?' + p.toString()),
      ]);
      renderStats(stats);
      renderPage(page, false);
    } catch (e) {
      if (e.status === 401) { logout(); return; }
      showError(e.message);
    }
  }

  async function more() {
    if (!state.next) return;
    const p = params();
    p.set('size', '50');
    p.set('after', state.next);
    try {
      renderPage(await api('/api/findings?' + p.toString()), true);
    } catch (e) {
      showError(e.message);
    }
  }

  function renderPage(page, append) {
    const body = $('findings-body');
    if (!append) clear(body);
    for (const finding of page.findings) {
      const f = finding.finding || {};
      const row = el('tr');
      row.dataset.id = f.id;
      row.className = 'finding-row';
      const seen = el('td', shortTime(finding['@timestamp']), 'time');
      seen.title = finding['@timestamp'] || '';
      row.appendChild(seen);
      row.appendChild(el('td', f.severity, 'sev sev-' + (SEVERITIES.includes(f.severity) ? f.severity : 'other')));
      row.appendChild(el('td', finding.tenant ? finding.tenant.name : '', 'tenant'));
      row.appendChild(el('td', finding.rule ? finding.rule.name : ''));
      row.appendChild(el('td', finding.message));
      row.appendChild(el('td', finding.triage ? finding.triage.status : 'open', 'status'));
      row.addEventListener('click', () => showDetails(f.id, row));
      body.appendChild(row);
    }
    state.next = page.next;
    $('more').hidden = !page.next;
    const shown = body.children.length;
    $('result-count').textContent = shown + ' of ' + (page.total_relation === 'gte' ? 'over ' : '') + page.total
      + ' finding(s)';
  }

  function renderStats(stats) {
    const counts = $('severity-counts');
    clear(counts);
    for (const severity of SEVERITIES) {
      const box = el('div', null, 'count sev-' + severity);
      box.dataset.severity = severity;
      box.appendChild(el('strong', stats.severity[severity] || 0));
      box.appendChild(el('span', severity));
      counts.appendChild(box);
    }
    const histogram = $('histogram');
    clear(histogram);
    const max = Math.max(1, ...stats.histogram.map((b) => b.count));
    for (const bucket of stats.histogram) {
      const bar = el('div', null, 'bar');
      // CSSOM, not a style attribute: allowed by the Content-Security-Policy.
      bar.style.height = Math.round((bucket.count / max) * 100) + '%';
      bar.title = bucket.start + ': ' + bucket.count;
      histogram.appendChild(bar);
    }
    const minutes = Math.round(stats.interval_seconds / 60);
    $('histogram-range').textContent = shortTime(stats.from) + ' – ' + shortTime(stats.to) + ' UTC (' + stats.total
      + ' findings, bars of ' + (minutes % 1440 === 0 ? minutes / 1440 + ' d' : minutes % 60 === 0 ? minutes / 60 + ' h'
      : minutes + ' min') + ')';
  }

  // ---------------------------------------------------------------- details and triage
  function hideDetails() {
    $('details').hidden = true;
    state.selected = null;
  }

  async function showDetails(id, row) {
    document.querySelectorAll('#findings-body tr.selected').forEach((r) => r.classList.remove('selected'));
    if (row) row.classList.add('selected');
    let finding;
    try {
      finding = (await api('/api/findings/' + encodeURIComponent(id))).finding;
    } catch (e) {
      showError(e.message);
      return;
    }
    state.selected = id;
    renderDetails(finding);
  }

  function renderDetails(finding) {
    const f = finding.finding || {};
    $('d-title').textContent = finding.message || f.id;
    const fields = $('d-fields');
    clear(fields);
    const add = (label, value) => {
      if (value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length)) return;
      fields.appendChild(el('dt', label));
      fields.appendChild(el('dd', Array.isArray(value) ? value.join(', ') : value));
    };
    add('Id', f.id);
    add('Severity', f.severity);
    add('Risk score', f.risk_score);
    add('Rule', finding.rule ? finding.rule.name + ' (' + finding.rule.id + ')' : null);
    add('Detector', f.detector);
    add('Tenant', finding.tenant ? finding.tenant.name : null);
    add('Other tenants', finding.tenant ? finding.tenant.others : null);
    add('Namespace', finding.kubernetes ? finding.kubernetes.namespace : null);
    add('Pod', finding.kubernetes ? finding.kubernetes.pod : null);
    add('Image', finding.container && finding.container.image ? finding.container.image.name : null);
    add('First seen', f.first_seen);
    add('Last seen', f.last_seen);
    add('Count', f.count);
    add('MITRE', finding.threat && finding.threat.technique ? finding.threat.technique.id : null);
    const triage = finding.triage || { status: 'open' };
    add('Triage', triage.status + (triage.updated_by ? ' by ' + triage.updated_by + ' at ' + triage.updated_at : ''));
    add('Note', triage.note);

    const evidence = $('d-evidence-body');
    clear(evidence);
    const evidenceFields = finding.evidence && finding.evidence.fields ? finding.evidence.fields : {};
    for (const key of Object.keys(evidenceFields).sort()) {
      const row = el('tr');
      row.appendChild(el('td', key));
      row.appendChild(el('td', evidenceFields[key]));
      evidence.appendChild(row);
    }
    $('d-events').textContent = finding.evidence && finding.evidence.event_ids
      ? finding.evidence.event_ids.join(', ') : '';
    $('triage').hidden = !(state.me && state.me.may_triage);
    $('triage-result').textContent = '';
    $('triage-note').value = triage.note || '';
    $('details').hidden = false;
    loadFindingIncidents(f.id);
  }

  // The incidents a finding is part of, each a button that opens it in the Incidents tab.
  async function loadFindingIncidents(id) {
    const box = $('d-incidents-box');
    const list = $('d-incidents');
    clear(list);
    box.hidden = true;
    if (!id) return;
    let result;
    try {
      result = await api('/api/incidents?size=20&finding=' + encodeURIComponent(id));
    } catch (e) {
      return; // the details stand without it
    }
    if (state.selected !== id || !result.incidents.length) return;
    for (const incident of result.incidents) {
      const button = el('button', incident.id + ' (risk ' + incident.risk + ', ' + incidentStatus(incident) + ')',
        'incident-link');
      button.type = 'button';
      button.dataset.incident = incident.id;
      button.addEventListener('click', () => openIncident(incident.id));
      list.appendChild(button);
    }
    box.hidden = false;
  }

  /**
   * Sends a triage change (PATCH path), then renders what came back: show(result) re-renders the details and returns
   * the status now, which goes into the result line (id prefix + 'triage-result') and the selected row of tableBody.
   */
  async function sendTriage(path, prefix, tableBody, status, show) {
    const note = $(prefix + 'triage-note').value.trim();
    try {
      const result = await api(path, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ status: status, note: note || null }),
      });
      const now = show(result);
      $(prefix + 'triage-result').textContent = 'Status set to ' + now;
      const cell = document.querySelector('#' + tableBody + ' tr.selected td.status');
      if (cell) cell.textContent = now;
    } catch (e) {
      $(prefix + 'triage-result').textContent = e.message;
    }
  }

  async function triage(status) {
    if (!state.selected) return;
    await sendTriage('/api/findings/' + encodeURIComponent(state.selected), '', 'findings-body', status, (result) => {
      renderDetails(result.finding);
      return result.finding.triage.status;
    });
  }

  // ---------------------------------------------------------------- incidents
  // What stands for another tenant in a tenant's view of an incident (the server's IncidentViews.ANOTHER_TENANT).
  const ANOTHER_TENANT = '(another tenant)';

  function incidentStatus(incident) {
    return incident.triage && incident.triage.status ? incident.triage.status : 'open';
  }

  async function loadIncidents(openId) {
    $('i-error').textContent = '';
    const body = $('incidents-body');
    clear(body);
    $('i-count').textContent = '';
    const p = new URLSearchParams();
    p.set('sort', $('i-sort').value);
    if ($('i-status').value) p.set('status', $('i-status').value);
    p.set('size', '100');
    let result;
    try {
      result = await api('/api/incidents?' + p.toString());
    } catch (e) {
      $('i-error').textContent = e.message;
      return;
    }
    for (const incident of result.incidents) {
      const row = el('tr');
      row.dataset.id = incident.id;
      const seen = el('td', shortTime(incident.last_seen), 'time');
      seen.title = incident.last_seen || '';
      row.appendChild(seen);
      row.appendChild(el('td', incidentStatus(incident), 'status'));
      row.appendChild(el('td', incident.risk, 'risk'));
      row.appendChild(el('td', (incident.tenants || []).join(', ')
        + (incident.other_tenants_involved ? ' + another tenant' : ''), 'tenants'));
      row.appendChild(el('td', (incident.tactics || []).join(', ')));
      row.appendChild(el('td', incident.findings_total
        + (incident.hidden_findings ? ' (+' + incident.hidden_findings + ' hidden)' : ''), 'findings'));
      row.addEventListener('click', () => showIncident(incident.id));
      body.appendChild(row);
    }
    $('i-count').textContent = result.incidents.length + ' of ' + result.total + ' incident(s)';
    if (!result.incidents.length) $('i-error').textContent = 'No incident in this view.';
    const keep = openId || state.incident;
    if (keep) {
      await showIncident(keep);
    } else {
      hideIncident();
    }
  }

  /** Opens an incident in the Incidents tab (from a finding's details). */
  function openIncident(id) {
    state.incident = id;
    selectView('incidents');
  }

  function hideIncident() {
    $('incident').hidden = true;
    state.incident = null;
    if (state.cy) { state.cy.destroy(); state.cy = null; }
  }

  async function showIncident(id) {
    document.querySelectorAll('#incidents-body tr').forEach((r) => r.classList.toggle('selected', r.dataset.id === id));
    let incident;
    try {
      incident = (await api('/api/incidents/' + encodeURIComponent(id))).incident;
    } catch (e) {
      $('i-error').textContent = e.status === 404 ? 'Incident ' + id + ' is not in your view.' : e.message;
      hideIncident();
      return;
    }
    state.incident = id;
    renderIncident(incident);
  }

  function renderIncident(incident) {
    $('i-title').textContent = 'Incident ' + incident.id;
    const hidden = $('i-hidden');
    hidden.hidden = !incident.other_tenants_involved;
    hidden.textContent = incident.other_tenants_involved
      ? 'Another tenant was involved (' + incident.hidden_findings + ' finding' + (incident.hidden_findings === 1
        ? '' : 's') + ' hidden). You see your own side only.' : '';
    const fields = $('i-fields');
    clear(fields);
    const add = (label, value) => {
      if (value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length)) return;
      fields.appendChild(el('dt', label));
      fields.appendChild(el('dd', Array.isArray(value) ? value.join(', ') : value));
    };
    const triage = incident.triage || { status: 'open' };
    add('Status', triage.status + (triage.updated_by ? ' by ' + triage.updated_by + ' at ' + shortTime(triage.updated_at)
      : ''));
    add('Risk', incident.risk);
    add('Tenants', incident.tenants);
    add('Tactics', incident.tactics);
    add('Detectors', incident.detectors);
    add('Findings', incident.findings_total + (incident.truncated ? ' (older ones cut)' : ''));
    add('First seen', shortTime(incident.first_seen));
    add('Last seen', shortTime(incident.last_seen));
    add('Opened by', incident.opened_by === ANOTHER_TENANT ? 'another tenant' : incident.opened_by);
    add('Why', incident.reason);
    add('Note', triage.note);

    const timeline = incident.timeline || [];
    state.timeline = timeline;
    renderTimeline(timeline);
    renderStrip(timeline);
    $('i-triage').hidden = !(state.me && state.me.may_triage);
    $('i-triage-result').textContent = '';
    $('i-triage-note').value = triage.note || '';
    $('incident').hidden = false;
    renderGraph(incidentGraph(timeline)); // once shown: the library measures its container
  }

  function tenantName(tenant) {
    return tenant === ANOTHER_TENANT ? 'another tenant' : tenant || '';
  }

  function renderTimeline(timeline) {
    const body = $('i-timeline-body');
    clear(body);
    timeline.forEach((f, i) => {
      const row = el('tr');
      row.dataset.id = f.finding_id;
      row.dataset.index = String(i);
      const time = el('td', shortTime(f.time), 'time');
      time.title = f.time + (f.last_seen && f.last_seen !== f.time ? ' (last seen ' + f.last_seen + ')' : '');
      row.appendChild(time);
      row.appendChild(el('td', f.severity, 'sev sev-' + (SEVERITIES.includes(f.severity) ? f.severity : 'other')));
      const rule = el('td', f.rule_name || f.rule_id);
      rule.title = (f.rule_id || '') + (f.detector ? ' (' + f.detector + ')' : '');
      row.appendChild(rule);
      const others = (f.other_tenants || []).map(tenantName);
      row.appendChild(el('td', tenantName(f.tenant) + (others.length ? ' with ' + others.join(', ') : ''), 'tenant'));
      row.appendChild(el('td', f.pod ? (f.namespace ? f.namespace + '/' : '') + f.pod : '', 'pod'));
      row.appendChild(el('td', [f.user, f.session_id ? 'session ' + f.session_id : null].filter(Boolean).join(', '),
        'actor'));
      row.appendChild(el('td', (f.tactics || []).join(', ')));
      row.addEventListener('click', () => {
        body.querySelectorAll('tr.hit').forEach((r) => r.classList.remove('hit'));
        row.classList.add('hit');
        highlight(entryNodes(f));
      });
      body.appendChild(row);
    });
  }

  // The incident's findings as ticks on its time axis, coloured by severity.
  function renderStrip(timeline) {
    const strip = $('i-strip');
    clear(strip);
    strip.appendChild(svg('line', { x1: 6, y1: 18, x2: 594, y2: 18, class: 'axis' }));
    const times = timeline.map((f) => Date.parse(f.time)).filter((t) => !Number.isNaN(t));
    if (!times.length) return;
    const first = Math.min(...times);
    const span = Math.max(1, Math.max(...times) - first);
    timeline.forEach((f) => {
      const t = Date.parse(f.time);
      if (Number.isNaN(t)) return;
      const x = times.length === 1 ? 300 : 8 + ((t - first) / span) * 582;
      const tick = svg('rect', { x: (x - 2).toFixed(1), y: 6, width: 4, height: 24,
        class: 'sev-' + (SEVERITIES.includes(f.severity) ? f.severity : 'other') });
      tick.appendChild(svg('title', {})).textContent = shortTime(f.time) + ' ' + (f.rule_name || f.rule_id || '');
      strip.appendChild(tick);
    });
  }

  // "pod:acme-web/api" -> { id, type: 'pod', label: 'acme-web/api' }
  function entity(id) {
    const colon = id.indexOf(':');
    return colon > 0 ? { id: id, type: id.slice(0, colon), label: id.slice(colon + 1) }
      : { id: id, type: 'entity', label: id };
  }

  // The nodes one timeline entry speaks of: its tenant, pod, session and identity, then its peers from its entities.
  function entryNodes(f) {
    const own = {
      tenant: tenantNode(f.tenant),
      pod: f.pod ? entity('pod:' + (f.namespace ? f.namespace + '/' : '') + f.pod) : null,
      session: f.session_id ? entity('session:' + f.session_id) : null,
      identity: f.user ? entity('identity:' + f.user) : null,
    };
    const mine = new Set(Object.values(own).filter(Boolean).map((n) => n.id));
    own.peers = (f.entities || []).filter((e) => typeof e === 'string' && !mine.has(e)).map(entity);
    return own;
  }

  /** The tenant node of a name. */
  function tenantNode(tenant) {
    return tenant ? { id: 'tenant:' + tenant, type: 'tenant', label: tenantName(tenant) } : null;
  }

  /**
   * The graph of an incident from its timeline: tenant -> pod -> session (or identity) -> identity, and from whoever
   * acted in an entry (its session, else its identity, else its pod, else its tenant) to the entry's peers, such as the
   * other pod of a cross-tenant connection. Each pod hangs off the tenant that owns it (the entry's pod_tenants, else
   * the entry's tenant when it is the only one); links across tenants are peer links. Only what the server sent is
   * drawn: a tenant's view has its own side only.
   */
  function incidentGraph(timeline) {
    const nodes = new Map();
    const edges = new Map();
    const node = (n) => { if (n && !nodes.has(n.id)) nodes.set(n.id, n); return n ? n.id : null; };
    const link = (a, b, kind) => {
      if (!a || !b || a === b || edges.has(a + '\u0000' + b) || edges.has(b + '\u0000' + a)) return;
      edges.set(a + '\u0000' + b, { source: a, target: b, kind: kind });
    };
    for (const f of timeline) {
      const n = entryNodes(f);
      const cross = (f.other_tenants || []).length > 0;
      // pod_tenants: [{pod: "pod:<ns>/<pod>", tenant}], whose each pod of the finding is, where known.
      const owners = new Map((Array.isArray(f.pod_tenants) ? f.pod_tenants : [])
        .filter((p) => p && typeof p.pod === 'string' && typeof p.tenant === 'string' && p.tenant)
        .map((p) => [p.pod, p.tenant]));
      const owner = (podId) => owners.get(podId) || (cross ? null : f.tenant);
      const tenant = node(n.tenant);
      const pod = node(n.pod);
      const session = node(n.session);
      const identity = node(n.identity);
      const podOwner = pod ? owner(pod) : null;
      if (pod && podOwner && podOwner !== f.tenant) {
        link(node(tenantNode(podOwner)), pod, 'owns');
        link(tenant, pod, 'peer'); // the finding's tenant reached a pod of another tenant
      } else {
        link(tenant, pod, 'owns');
      }
      // In a finding of more than one tenant, who acted on the pod came from elsewhere: a peer link.
      link(pod, session || identity, cross ? 'peer' : 'in');
      link(session, identity, 'by');
      const actor = session || identity || pod || tenant;
      for (const peer of n.peers) {
        const peerOwner = peer.type === 'pod' ? owner(peer.id) : null;
        if (peerOwner) link(node(tenantNode(peerOwner)), node(peer), 'owns');
        link(actor, node(peer), 'peer');
      }
    }
    return { nodes: [...nodes.values()], edges: [...edges.values()] };
  }

  const GRAPH_STYLE = [
    { selector: 'node', style: { label: 'data(label)', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 4,
      'text-wrap': 'ellipsis', 'text-max-width': 160, color: '#1d2430', width: 26, height: 26,
      'background-color': '#6b7280', 'border-width': 2, 'border-color': '#fff' } },
    { selector: 'node[type = "tenant"]', style: { shape: 'round-rectangle', width: 44, 'background-color': '#111827' } },
    { selector: 'node[type = "pod"]', style: { shape: 'ellipse', 'background-color': '#1f5fbf' } },
    { selector: 'node[type = "session"]', style: { shape: 'diamond', 'background-color': '#c2410c' } },
    { selector: 'node[type = "identity"]', style: { shape: 'triangle', 'background-color': '#b58100' } },
    { selector: 'node.hit', style: { 'border-color': '#8b0000', 'border-width': 4 } },
    { selector: 'edge', style: { width: 2, 'line-color': '#9aa3af', 'curve-style': 'bezier',
      'target-arrow-shape': 'triangle', 'target-arrow-color': '#9aa3af', 'arrow-scale': 0.8 } },
    { selector: 'edge[kind = "peer"]', style: { 'line-style': 'dashed', 'line-color': '#8b0000',
      'target-arrow-color': '#8b0000' } },
  ];

  function renderGraph(graph) {
    const container = $('i-graph');
    if (state.cy) { state.cy.destroy(); state.cy = null; }
    clear(container);
    // What is drawn, for tests and tools that cannot read a canvas.
    container.dataset.nodes = JSON.stringify(graph.nodes.map((n) => n.id).sort());
    container.dataset.edges = String(graph.edges.length);
    const links = $('i-links');
    clear(links);
    const label = (id) => { const n = graph.nodes.find((x) => x.id === id); return n ? n.type + ' ' + n.label : id; };
    for (const e of graph.edges) {
      links.appendChild(el('li', label(e.source) + ' \u2192 ' + label(e.target) + (e.kind === 'peer' ? ' (peer link)' : '')));
    }
    $('i-graph-note').textContent = graph.nodes.length + ' entities, ' + graph.edges.length
      + ' links. Tenant \u25ac, pod \u25cf, session \u25c6, identity \u25b2; dashed red: a peer link (across tenants, or'
      + ' to another pod the finding reached). Click a node or a timeline row to pick out its findings.';
    if (typeof window.cytoscape !== 'function') {
      $('i-graph-note').textContent = 'The graph library did not load; the links are listed as text below.';
      container.dataset.drawn = 'false';
      return;
    }
    const roots = graph.nodes.filter((n) => n.type === 'tenant').map((n) => n.id);
    state.cy = window.cytoscape({
      container: container,
      elements: graph.nodes.map((n) => ({ group: 'nodes', data: { id: n.id, type: n.type, label: n.label } }))
        .concat(graph.edges.map((e, i) => ({ group: 'edges',
          data: { id: 'edge-' + i, source: e.source, target: e.target, kind: e.kind } }))),
      style: GRAPH_STYLE,
      layout: { name: 'breadthfirst', directed: true, roots: roots.length ? roots : undefined, padding: 24,
        spacingFactor: 1.1, animate: false },
      userZoomingEnabled: false,
      boxSelectionEnabled: false,
      minZoom: 0.3,
      maxZoom: 2,
    });
    state.cy.on('tap', 'node', (event) => highlightNode(event.target.id()));
    container.dataset.drawn = 'true';
  }

  // Picks out the timeline rows of a node and the node itself.
  function highlightNode(id) {
    const rows = document.querySelectorAll('#i-timeline-body tr');
    rows.forEach((row) => row.classList.remove('hit'));
    const current = state.cy;
    if (!current) return;
    current.nodes().removeClass('hit');
    current.getElementById(id).addClass('hit');
    rows.forEach((row) => {
      const entry = state.timeline && state.timeline[Number(row.dataset.index)];
      if (!entry) return;
      const n = entryNodes(entry);
      const ids = [n.tenant, n.pod, n.session, n.identity].concat(n.peers).filter(Boolean).map((x) => x.id);
      if (ids.includes(id)) row.classList.add('hit');
    });
  }

  // Picks out the nodes of one timeline entry.
  function highlight(n) {
    if (!state.cy) return;
    const ids = [n.tenant, n.pod, n.session, n.identity].concat(n.peers).filter(Boolean).map((x) => x.id);
    state.cy.nodes().removeClass('hit');
    for (const id of ids) state.cy.getElementById(id).addClass('hit');
  }

  async function triageIncident(status) {
    if (!state.incident) return;
    await sendTriage('/api/incidents/' + encodeURIComponent(state.incident), 'i-', 'incidents-body', status,
      (result) => {
        renderIncident(result.incident);
        return incidentStatus(result.incident);
      });
  }

  // ---------------------------------------------------------------- wiring
  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      login($('token').value.trim());
    });
    $('logout').addEventListener('click', logout);
    $('tab-isolation').addEventListener('click', () => selectView('isolation'));
    $('tab-all').addEventListener('click', () => selectView('all'));
    $('tab-compliance').addEventListener('click', () => selectView('compliance'));
    $('tab-incidents').addEventListener('click', () => selectView('incidents'));
    $('i-sort').addEventListener('change', () => loadIncidents());
    $('i-status').addEventListener('change', () => loadIncidents());
    document.querySelectorAll('.incident-triage-button').forEach((button) => {
      button.addEventListener('click', () => triageIncident(button.dataset.status));
    });
    $('tab-shadow').addEventListener('click', () => selectView('shadow'));
    $('tab-rules').addEventListener('click', () => selectView('rules'));
    $('r-sort').addEventListener('change', () => loadRuleStats());
    $('tab-overrides').addEventListener('click', () => selectView('overrides'));
    $('compliance-form').addEventListener('submit', (event) => { event.preventDefault(); loadCompliance(); });
    $('search-form').addEventListener('submit', (event) => { event.preventDefault(); refresh(); });
    $('more').addEventListener('click', more);
    document.querySelectorAll('.triage-button').forEach((button) => {
      button.addEventListener('click', () => triage(button.dataset.status));
    });
    const ended = sessionStorage.getItem(ENDED_KEY);
    if (ended) {
      sessionStorage.removeItem(ENDED_KEY);
      $('login-error').textContent = ended === 'session'
        ? 'Your session ended (it expired or was ended); sign in again.'
        : 'Your session ended (the token expired or was revoked); log in with a new token.';
    }
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) login(saved);
    showSignInOptions(!saved);
  });
})();
