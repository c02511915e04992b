// Bulwark console: plain DOM, no dependencies. Everything shown comes from finding fields, which attackers can
// influence, so text is only ever set with textContent (never as markup), and the page runs under a strict CSP.
'use strict';

(function () {
  const TOKEN_KEY = 'bulwark.token';
  const ENDED_KEY = 'bulwark.session-ended';
  const SEVERITIES = ['critical', 'high', 'medium', 'low'];
  // session: signed in through the identity provider; the browser holds an HttpOnly cookie this script never sees,
  // and sends it with the console's header (which the server requires for changes made with the cookie).
  const state = { token: null, session: false, me: null, view: 'all', next: null, selected: null };

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
    $('tab-shadow').setAttribute('aria-selected', String(view === 'shadow'));
    $('tab-rules').setAttribute('aria-selected', String(view === 'rules'));
    $('tab-overrides').setAttribute('aria-selected', String(view === 'overrides'));
    $('compliance-view').hidden = view !== 'compliance';
    $('shadow-view').hidden = view !== 'shadow';
    $('rules-view').hidden = view !== 'rules';
    $('overrides-view').hidden = view !== 'overrides';
    $('findings-view').hidden = ['compliance', 'shadow', 'overrides', 'rules'].includes(view);
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
  }

  async function triage(status) {
    if (!state.selected) return;
    const note = $('triage-note').value.trim();
    try {
      const result = await api('/api/findings/' + encodeURIComponent(state.selected), {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ status: status, note: note || null }),
      });
      renderDetails(result.finding);
      $('triage-result').textContent = 'Status set to ' + result.finding.triage.status;
      const row = document.querySelector('#findings-body tr.selected td.status');
      if (row) row.textContent = result.finding.triage.status;
    } catch (e) {
      $('triage-result').textContent = e.message;
    }
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
