// kiwoom-lab serve: the live timeline page. Plain JavaScript, no build step, nothing from the network.
//
// The server streams server-sent events (kiwoom_lab/live/feed.py lists them): "event" adds or
// replaces one timeline row (by its key), "timeline" replaces every row with a run's final
// timeline, "checks" shows the verdict, "status" a line about the fake, "done" ends a run.
"use strict";

const TEXT = {
  ko: {
    title: "키움 랩 실시간 타임라인", scenarios: "시나리오", pick: "왼쪽 목록에서 시나리오를 고르세요.",
    run: "실행", running: "실행 중…", switch: "가짜 서버에 적용", unload: "장애 없음",
    lessons: "레슨 모드: 시나리오를 골라 실행하면 이벤트가 일어나는 대로 보입니다.",
    follow: "관찰 모드: 가짜 서버", t: "시각(초)", side: "주체", kind: "종류", label: "결과", detail: "내용",
    client: "클라이언트", fake: "가짜 서버", checks: "기대 결과 검사", pass: "통과", fail: "실패",
    switched: "시나리오 전환", waiting: "기다리는 중…", virtual: "가상 시계", none: "없음",
    scenario: "현재 시나리오", connected: "가짜 서버에 연결됨: 요청이 들어오는 대로 보입니다.",
    window: "최근 {minutes}분만 표시", failed: "실행 실패",
  },
  en: {
    title: "kiwoom-lab live timeline", scenarios: "Scenarios", pick: "Pick a scenario from the list.",
    run: "Run", running: "Running…", switch: "Load into the fake", unload: "No faults",
    lessons: "Lessons: pick a scenario and run it; events show as they happen.",
    follow: "Following the fake at", t: "t (s)", side: "side", kind: "kind", label: "outcome", detail: "detail",
    client: "client", fake: "fake", checks: "Expectations", pass: "PASS", fail: "FAIL",
    switched: "scenario switched", waiting: "waiting…", virtual: "virtual clock", none: "none",
    scenario: "scenario", connected: "Connected to the fake: requests show as they arrive.",
    window: "showing the last {minutes} min", failed: "Run failed",
  },
};
// The lanes of the strip chart, top to bottom (a kind not listed gets a lane at the end).
const LANES = ["call", "request", "response", "retry", "cache", "fallback", "breaker", "scenario", "stream", "fleet"];
// Following a fake has no end: the page keeps (in the table and the chart) only the rows of the
// last five minutes, so an assistant session of hours stays as fast as its first minutes.
// The header says so ("window" in TEXT).
const FOLLOW_WINDOW_S = 300;

const query = new URLSearchParams(location.search).get("lang");
const lang = query === "en" || query === "ko" ? query : document.documentElement.lang === "en" ? "en" : "ko";
document.documentElement.lang = lang;
const say = (key) => TEXT[lang][key];
const $ = (id) => document.getElementById(id);

let info = { mode: "lessons", fake: null };
let selected = null;
let source = null;
let rows = [];  // the timeline rows shown, in order: {key, t, kind, ...}; body.rows[i] shows rows[i]
const shownKeys = new Set();  // the keys in rows: a new row (the usual case) is known without a search
let latestEnd = 0;  // the latest end (t + duration) seen since the timeline was cleared
let drawPending = false;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function start() {
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = say(node.dataset.text);
  document.title = say("title");
  info = await (await fetch("/api/info")).json();
  const following = info.mode === "follow";
  const windowNote = say("window").replace("{minutes}", FOLLOW_WINDOW_S / 60);
  $("mode").textContent = following ? `${say("follow")} ${info.fake} · ${windowNote}` : say("lessons");
  $("run").hidden = following;
  $("switch").hidden = !following;
  $("unload").hidden = !following;
  $("run").addEventListener("click", runLesson);
  $("switch").addEventListener("click", () => switchScenario(selected.name));
  $("unload").addEventListener("click", () => switchScenario(null));
  const catalog = await (await fetch(`/api/scenarios?lang=${lang}`)).json();
  showScenarios(catalog.scenarios);
  if (following) listen("/api/follow");
}

function showScenarios(scenarios) {
  const list = $("scenarios");
  for (const scenario of scenarios) {
    const button = element("button", scenario.invalid ? "scenario invalid" : "scenario");
    button.type = "button";
    button.dataset.scenario = scenario.name;
    button.append(element("strong", "", scenario.name), element("span", "line", scenario.line));
    if (scenario.clock === "virtual") button.append(element("span", "tag", say("virtual")));
    button.addEventListener("click", () => select(scenario, button));
    const item = element("li");
    item.append(button);
    list.append(item);
  }
}

function select(scenario, button) {
  selected = scenario;
  for (const other of document.querySelectorAll("button.scenario")) other.classList.toggle("selected", other === button);
  $("narrative").textContent = scenario.narrative.replace(/(?<!\n)\n(?!\n)/g, " ");  // keep paragraphs only
  $("run").disabled = scenario.invalid;
  $("switch").disabled = scenario.invalid;
}

async function runLesson() {
  clearTimeline();
  $("status").textContent = "";  // a failure of the previous run
  $("run").disabled = true;
  $("run").textContent = say("running");
  const response = await fetch("/api/runs", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: selected.name }),
  });
  const body = await response.json();
  if (!response.ok) {
    showStatus({ ok: false, message: body.error });
    finishRun();
    return;
  }
  $("verdict").textContent = say("waiting");
  listen(`/api/runs/${body.id}/events`);
}

function finishRun() {
  $("run").disabled = !selected || selected.invalid;
  $("run").textContent = say("run");
}

async function switchScenario(name) {
  const response = await fetch("/api/fake/scenario", {
    method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }),
  });
  if (!response.ok) showStatus({ ok: false, message: (await response.json()).error });
}

function listen(url) {
  if (source) source.close();
  source = new EventSource(url);
  const on = (name, handle) => source.addEventListener(name, (message) => handle(JSON.parse(message.data)));
  on("event", upsert);
  on("timeline", (data) => { clearTimeline(); data.events.forEach((event, i) => upsert({ key: `m${i}`, ...event }, true)); });
  on("checks", showChecks);
  on("status", showStatus);
  on("done", () => { source.close(); finishRun(); });
}

function clearTimeline() {
  rows = [];
  shownKeys.clear();
  latestEnd = 0;
  $("events").tBodies[0].replaceChildren();
  $("checks").replaceChildren();
  $("checks-title").hidden = true;
  $("verdict").textContent = "";
  $("verdict").removeAttribute("data-verdict");
  scheduleDraw();
}

const endOf = (row) => row.t + (row.duration_s || 0);

// Add a row, or replace the row with the same key. Live rows are kept in time order (the client's
// events and the fake's requests arrive separately); a final timeline comes in causal order (inOrder).
// The chart is redrawn once per frame, however many rows came in it (a reconnect replays thousands).
function upsert(event, inOrder = false) {
  const body = $("events").tBodies[0];
  const at = shownKeys.has(event.key) ? rows.findLastIndex((row) => row.key === event.key) : -1;
  const line = rowElement(event);
  if (at >= 0) {
    rows[at] = event;
    body.rows[at].replaceWith(line);
  } else {
    let index = rows.length;
    while (!inOrder && index > 0 && rows[index - 1].t > event.t) index -= 1;
    rows.splice(index, 0, event);
    shownKeys.add(event.key);
    body.insertBefore(line, body.rows[index] || null);
  }
  latestEnd = Math.max(latestEnd, endOf(event));
  if (event.kind === "scenario" && info.mode === "follow") showCurrent(event.label);
  if (info.mode === "follow") forgetOldRows(body);
  scheduleDraw();
}

// Following: drop the rows that ended more than FOLLOW_WINDOW_S before the latest one. Rows are in
// time order, so the old ones are at the front.
function forgetOldRows(body) {
  const cutoff = latestEnd - FOLLOW_WINDOW_S;
  let old = 0;
  while (old < rows.length && endOf(rows[old]) < cutoff) old += 1;
  if (!old) return;
  for (const row of rows.splice(0, old)) shownKeys.delete(row.key);
  for (let i = 0; i < old; i += 1) body.rows[0].remove();
}

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawLanes();
  });
}

function rowElement(event) {
  const side = event.side || (event.kind === "request" ? "fake" : "client");
  const line = element("tr", `tone-${event.tone} kind-${event.kind}`);
  Object.assign(line.dataset, { key: event.key, kind: event.kind, side, label: event.label });
  if (event.kind === "scenario") {
    line.classList.add("switch");
    const cell = element("td", "", `${event.t.toFixed(3)}  → ${say("switched")}: ${event.label} — ${event.detail}`);
    cell.colSpan = 5;
    line.append(cell);
    return line;
  }
  const duration = event.duration_s ? ` (${event.duration_s.toFixed(3)} s)` : "";
  for (const text of [event.t.toFixed(3), say(side), event.kind, event.label, event.detail + duration]) {
    line.append(element("td", "", text));
  }
  return line;
}

// The strip chart: one lane per kind of event, a mark at each event's time (a bar for a span).
function drawLanes() {
  const lanes = $("lanes");
  lanes.replaceChildren();
  if (!rows.length) return;
  let end = 0.001;
  let first = 0;
  for (const row of rows) {  // a loop, not Math.max(...rows): no argument-count limit
    end = Math.max(end, endOf(row));
    first = Math.min(first, row.t);
  }
  const begin = info.mode === "follow" ? Math.max(0, end - FOLLOW_WINDOW_S) : first;
  const span = end - begin || 1;
  const laneOrder = (kind) => (LANES.includes(kind) ? LANES.indexOf(kind) : LANES.length);
  const byKind = new Map();
  for (const row of rows) {
    if (endOf(row) < begin) continue;
    if (!byKind.has(row.kind)) byKind.set(row.kind, []);
    byKind.get(row.kind).push(row);
  }
  const kinds = [...byKind.keys()].sort((a, b) => laneOrder(a) - laneOrder(b));
  for (const kind of kinds) {
    const lane = element("div", "lane");
    lane.append(element("span", "lane-name", kind));
    const track = element("div", "track");
    for (const row of byKind.get(kind)) {
      const mark = element("span", `mark tone-${row.tone}`);
      mark.style.left = `${((row.t - begin) / span) * 100}%`;
      mark.style.width = `max(3px, ${((row.duration_s || 0) / span) * 100}%)`;
      mark.title = `${row.t.toFixed(3)} s  ${row.label}: ${row.detail}`;
      track.append(mark);
    }
    lane.append(track);
    lanes.append(lane);
  }
  const axis = element("div", "axis");
  axis.append(element("span", "", `${begin.toFixed(1)} s`), element("span", "", `${end.toFixed(1)} s`));
  lanes.append(axis);
}

function showChecks(data) {
  const verdict = $("verdict");
  verdict.dataset.verdict = data.passed ? "PASS" : "FAIL";
  verdict.textContent = `${data.passed ? "✔" : "✘"} ${say(data.passed ? "pass" : "fail")} (${data.wall_s.toFixed(2)} s)`;
  $("checks-title").hidden = false;
  for (const check of data.checks) {
    const item = element("li", check.passed ? "tone-ok" : "tone-fail", `${check.passed ? "✔" : "✘"} ${check.line}`);
    $("checks").append(item);
  }
}

function showStatus(data) {
  const failure = info.mode === "lessons" ? `${say("failed")}: ${data.message}` : data.message;
  $("status").textContent = data.ok && info.mode === "follow" ? say("connected") : failure;
  $("status").className = data.ok ? "tone-ok" : "tone-fail";
  if (data.ok && info.mode === "follow") showCurrent(data.scenario);
  if (!data.ok && info.mode === "lessons") $("verdict").textContent = "";  // no verdict will come
}

function showCurrent(name) {
  $("current").textContent = `${say("scenario")}: ${name && name !== "none" ? name : say("none")}`;
  $("current").dataset.scenario = name || "";
}

start();
