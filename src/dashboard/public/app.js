/* global document, location, history */
import { api, follow, token } from './api.js';
import { hostTable } from './hosts.js';
import { timelineView } from './timeline.js';

const $ = (id) => document.getElementById(id);
const hosts = hostTable($('hosts'), (offset, limit) =>
  api('GET', `/api/hosts?offset=${offset}&limit=${limit}`),
);
const timeline = timelineView($('timeline'), $('legend'));
const state = { preview: undefined, campaign: undefined, stop: undefined, lastEvent: 0 };

function showError(error) {
  $('error').hidden = !error;
  $('error').textContent = error ? String(error.message ?? error) : '';
}

async function guarded(work) {
  try {
    showError(undefined);
    return await work();
  } catch (error) {
    showError(error);
    return undefined;
  }
}

const cell = (tag, text, cls) => {
  const element = document.createElement(tag);
  element.textContent = String(text);
  if (cls) element.className = cls;
  return element;
};
const duration = (s) =>
  s >= 86400
    ? `${(s / 86400).toFixed(1)} d`
    : s >= 3600
      ? `${(s / 3600).toFixed(1)} h`
      : `${Math.round(s / 60)} min`;

// --- fleet compliance -------------------------------------------------------------------

async function loadCompliance() {
  const [compliance] = await Promise.all([api('GET', '/api/compliance'), hosts.refresh()]);
  const t = compliance.totals;
  $('totals').replaceChildren(
    ...[
      ['hosts', t.hosts, 'hosts'],
      ['compliant', t.compliant, 'compliant'],
      ['not compliant', t.nonCompliant, 'non-compliant'],
      ['fixes to install', t.needs, 'needs'],
      ['installed, not in effect', t.notInEffect, 'not-in-effect'],
      ['overdue', t.overdue, 'overdue'],
      ['CVEs', t.cves, 'cves'],
    ].map(([label, value, id]) => {
      const card = cell('div', '', 'card');
      const number = cell('b', value);
      number.dataset.testid = `total-${id}`;
      card.append(number, label);
      return card;
    }),
  );
  $('severity').tBodies[0].replaceChildren(
    ...compliance.bySeverity.map((s) => {
      const tr = document.createElement('tr');
      tr.append(
        ...[s.severity, s.hosts, s.needs, s.notInEffect, s.overdue, s.cves].map((v) => cell('td', v)),
      );
      return tr;
    }),
  );
}

// --- plan ---------------------------------------------------------------------------------

async function preview() {
  const plan = await api('POST', '/api/plans', { planner: $('planner').value });
  state.preview = plan;
  const strategies = Object.entries(plan.strategies)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  $('plan-summary').replaceChildren(
    cell(
      'p',
      `${plan.planner}: ${plan.hosts} hosts, ${plan.guests} guests; makespan ${duration(plan.summary.makespanS)} (lower bound ${duration(plan.summary.lowerBound.makespanS)}); ${plan.summary.migrations} migrations; ${plan.summary.guestDowntimeS.toFixed(1)} s guest downtime predicted`,
    ),
    cell(
      'p',
      `strategies: ${strategies}; stages: ${plan.stages.map((s) => `${s.name} (${s.hosts} hosts)`).join(', ')}`,
    ),
    cell(
      'p',
      plan.violations.filter((v) => v.severity === 'error').length === 0
        ? 'checker: no violations'
        : `checker: ${plan.violations.length} VIOLATIONS`,
      plan.violations.length ? 'critical' : '',
    ),
  );
  $('deferred').replaceChildren(
    ...plan.deferred.map((d) => cell('li', `${d.host}: ${d.reason}`)),
    ...plan.explanations.slice(0, 200).map((e) => cell('li', `${e.host} → ${e.strategy}: ${e.explanation}`)),
  );
  $('create').disabled = false;
  const [lines, impact] = await Promise.all([
    api('GET', `/api/plans/${plan.id}/timeline`),
    api('GET', `/api/plans/${plan.id}/impact`),
  ]);
  timeline.show(lines);
  showImpact(impact);
}

async function createCampaign() {
  const campaign = await api('POST', '/api/campaigns', { planId: state.preview.id });
  $('create').disabled = true;
  await loadCampaigns(campaign.id);
}

// --- campaign -----------------------------------------------------------------------------

async function loadCampaigns(select) {
  const list = await api('GET', '/api/campaigns');
  $('campaigns').replaceChildren(
    ...list.map((c) => {
      const option = cell(
        'option',
        `${new Date(c.createdAt).toISOString().slice(0, 16)} ${c.state} ${c.id.slice(0, 8)}`,
      );
      option.value = c.id;
      return option;
    }),
  );
  const id = select ?? list.at(-1)?.id;
  if (id) {
    $('campaigns').value = id;
    await openCampaign(id);
  }
}

async function openCampaign(id) {
  state.stop?.();
  state.campaign = id;
  state.lastEvent = 0;
  $('audit').replaceChildren();
  const [, lines, impact] = await Promise.all([
    refreshCampaign(),
    api('GET', `/api/campaigns/${id}/timeline`),
    api('GET', `/api/campaigns/${id}/impact`),
  ]);
  timeline.show(lines);
  showImpact(impact);
  state.stop = follow(id, 0, onEvent);
}

async function refreshCampaign() {
  const c = await api('GET', `/api/campaigns/${state.campaign}`);
  $('campaign-state').textContent = c.state;
  $('campaign-state').className = `badge ${c.state}`;
  const h = c.progress.hosts;
  const a = c.progress.actions;
  $('progress').textContent =
    `hosts: ${h.done} done, ${h.active} active, ${h.pending} pending, ${h.failed} failed, ${h.deferred} deferred · actions: ${a.succeeded} succeeded, ${a.started} running, ${a.pending} pending, ${a.failed} failed`;
  $('stages').tBodies[0].replaceChildren(
    ...c.stages.map((s) => {
      const tr = document.createElement('tr');
      tr.append(
        cell('td', s.name),
        cell('td', s.approvedBy ?? 'not approved'),
        cell('td', s.approvedAt ? new Date(s.approvedAt).toISOString() : ''),
      );
      return tr;
    }),
  );
  return c;
}

/** Many events arrive at once during a run: the summaries are refreshed at most a few times a second. */
function soon(work, slot, ms) {
  if (slot.id) return;
  slot.id = setTimeout(() => {
    slot.id = undefined;
    void guarded(work);
  }, ms);
}
const refreshSlot = {};
const complianceSlot = {};

const ACTION_STATE = {
  'action-started': 'started',
  'action-succeeded': 'succeeded',
  'action-failed': 'failed',
  'action-unknown': 'unknown',
  'action-skipped': 'skipped',
  'action-requeued': 'pending',
};

function onEvent(event) {
  state.lastEvent = event.id;
  if (event.action !== null && ACTION_STATE[event.kind])
    timeline.setState(event.action, ACTION_STATE[event.kind]);
  const line = cell(
    'li',
    `${new Date(event.at).toISOString().slice(5, 19)} ${event.actor} ${event.kind}${event.host ? ` ${event.host}` : ''}${event.reason ? `: ${event.reason}` : ''}`,
  );
  $('audit').prepend(line);
  while ($('audit').childElementCount > 500) $('audit').lastElementChild.remove();
  soon(refreshCampaign, refreshSlot, 250);
  if (event.kind === 'host-state' || event.kind === 'campaign-state')
    soon(loadCompliance, complianceSlot, 1000);
}

async function act(what) {
  await api('POST', `/api/campaigns/${state.campaign}/${what}`, what === 'approve' ? {} : undefined);
  await refreshCampaign();
}

// --- impact -------------------------------------------------------------------------------

function showImpact(services) {
  $('impact').replaceChildren(
    ...services.slice(0, 60).map((s) => {
      const figure = document.createElement('figure');
      const top = Math.max(s.peak, s.budget ?? 0, 1);
      const bars = s.series
        .map(
          (v, i) =>
            `<rect x="${i * 4}" y="${40 - (v / top) * 40}" width="3" height="${(v / top) * 40}" fill="#0969da"/>`,
        )
        .join('');
      const budget =
        s.budget === null
          ? ''
          : `<line x1="0" x2="240" y1="${40 - (s.budget / top) * 40}" y2="${40 - (s.budget / top) * 40}" stroke="#cf222e" stroke-dasharray="3 2"/>`;
      figure.innerHTML = `<svg width="240" height="42" role="img" aria-label="${s.service}">${bars}${budget}</svg>`;
      const caption = cell(
        'figcaption',
        `${s.service}: peak ${s.peak} of budget ${s.budget ?? '—'}, ${s.disruptions} disruptions`,
        s.budget !== null && s.peak > s.budget ? 'over' : '',
      );
      figure.append(caption);
      return figure;
    }),
  );
}

// --- start --------------------------------------------------------------------------------

async function showWhoami() {
  const me = await api('GET', '/api/whoami');
  $('whoami').textContent = `${me.name} (${me.role}${me.service ? ` of ${me.service}` : ''})`;
}

async function loadFleet() {
  const fleet = await api('GET', '/api/fleet');
  $('fleet-name').textContent = `${fleet.name ?? 'fleet'}: ${fleet.hosts} hosts, ${fleet.guests} guests`;
  $('consent-service').replaceChildren(
    ...fleet.services.map((s) => Object.assign(cell('option', s.id), { value: s.id })),
  );
}

async function signIn() {
  // All at once: each is a round trip, and none needs another's answer.
  await Promise.all([showWhoami(), loadFleet(), loadCompliance(), loadCampaigns()]);
  // First render: the fleet, and the latest campaign on the timeline, are on the page.
  performance.mark('hvpatch-rendered');
  document.body.dataset.rendered = String(Math.round(performance.now()));
}

$('signin').addEventListener('submit', (event) => {
  event.preventDefault();
  token.set($('token').value.trim());
  $('token').value = '';
  void guarded(signIn);
});
$('preview-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void guarded(preview);
});
$('create').addEventListener('click', () => void guarded(createCampaign));
$('campaigns').addEventListener('change', () => void guarded(() => openCampaign($('campaigns').value)));
for (const what of ['approve', 'run', 'pause', 'resume', 'abort'])
  $(what).addEventListener('click', () => void guarded(() => act(what)));
$('consent').addEventListener(
  'click',
  () =>
    void guarded(async () => {
      await api('POST', `/api/campaigns/${state.campaign}/consent`, { service: $('consent-service').value });
    }),
);

// A token handed over in the fragment (never sent to the server) is kept for the session and taken out of the address.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.has('token')) {
  token.set(fragment.get('token'));
  history.replaceState(null, '', location.pathname);
}
if (token.get()) void guarded(signIn);
