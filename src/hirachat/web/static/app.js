// hira-chat web UI. No framework, no file from the internet. Text from answers is only ever put into the
// page with textContent (never innerHTML), so nothing a model or a user writes can run as HTML.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};

function uid() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

async function api(path, opts = {}) {
  const init = { credentials: "same-origin", headers: {}, ...opts };
  if (opts.json !== undefined) {
    init.method = init.method || "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(opts.json);
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let msg = res.status + "";
    try { msg = (await res.json()).detail || msg; } catch (_) { /* not JSON */ }
    const err = new Error(typeof msg === "string" ? msg : JSON.stringify(msg));
    err.status = res.status;
    throw err;
  }
  return res.headers.get("content-type")?.includes("json") ? res.json() : res.text();
}

// Safe Markdown subset: paragraphs, line breaks, "- " lists, **bold**, `code`. DOM nodes only.
function inline(text) {
  const frag = document.createDocumentFragment();
  const re = /(\*\*[^*]+\*\*|`[^`]+`)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    frag.append(document.createTextNode(text.slice(last, m.index)));
    const t = m[0];
    frag.append(t.startsWith("**") ? el("strong", {}, t.slice(2, -2)) : el("code", {}, t.slice(1, -1)));
    last = m.index + t.length;
  }
  frag.append(document.createTextNode(text.slice(last)));
  return frag;
}

function renderMarkdown(target, text) {
  target.replaceChildren();
  let list = null;
  for (const line of text.split("\n")) {
    const item = line.match(/^\s*[-*]\s+(.*)$/);
    if (item) {
      if (!list) { list = el("ul"); target.append(list); }
      list.append(el("li", {}, inline(item[1])));
      continue;
    }
    list = null;
    if (line.trim()) target.append(el("p", {}, inline(line)));
  }
}

// ---- session -------------------------------------------------------------------------------------------
let me = null;

async function start() {
  me = (await api("/api/auth/session")).user;
  $("#login").hidden = !!me;
  $("#tabs").hidden = !me;
  $("#whoami").hidden = !me;
  if (!me) return;
  $("#username").textContent = `${me.username} (${me.role === "admin" ? "관리자" : "평가자"})`;
  for (const b of document.querySelectorAll("[data-admin]")) b.hidden = me.role !== "admin";
  show("chat");
  if (window.matchMedia("(max-width: 720px)").matches) $("#history-box").open = false;
  loadModels();
  loadHistory();
}

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  $("#login-error").textContent = "";
  try {
    await api("/api/auth/login", { json: { username: f.get("username"), password: f.get("password") } });
    e.target.reset();
    start();
  } catch (err) {
    $("#login-error").textContent = err.message;
  }
});

$("#logout").addEventListener("click", async () => {
  await api("/api/auth/logout", { method: "POST" });
  location.reload();
});

function show(tab) {
  for (const s of document.querySelectorAll(".tab")) s.hidden = s.id !== tab;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === tab);
  if (tab === "campaigns") loadCampaigns();
  if (tab === "arena") loadLeaderboard();
  if (tab === "admin") loadProgress();
  if (tab === "monitor") loadMonitor();
}
for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => show(b.dataset.tab));

// ---- chat ----------------------------------------------------------------------------------------------
let conversation = null;

async function loadModels() {
  const sel = $("#model");
  sel.replaceChildren();
  let models = [{ id: "hira-chat", engine: "grounded" }];
  try { models = await api("/api/models"); } catch (_) { /* keep the default */ }
  for (const m of models) sel.append(el("option", { value: m.id, "data-engine": m.engine }, m.id));
  samplingControls();
}

// 온도 and 최대 토큰 do nothing for the grounded engine: shown only for a model that generates
function samplingControls() {
  const opt = $("#model").selectedOptions[0];
  const generates = !!opt && opt.dataset.engine !== "grounded";
  for (const c of document.querySelectorAll(".sampling")) c.hidden = !generates;
}
$("#model").addEventListener("change", samplingControls);

function when(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : `${d.getMonth() + 1}/${d.getDate()} ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

async function loadHistory() {
  const list = $("#history");
  list.replaceChildren();
  for (const c of await api("/api/conversations")) {
    list.append(el("li", {}, el("button", { class: "link", title: c.title, onclick: () => openConversation(c.id) },
      el("span", { class: "when" }, when(c.created_at)), " ", c.title)));
  }
}

async function openConversation(id) {
  const conv = await api(`/api/conversations/${encodeURIComponent(id)}`);
  conversation = conv.id;
  $("#messages").replaceChildren();
  for (const m of conv.messages) {
    const view = messageView(m.question);
    renderMarkdown(view.body, m.answer);
    finishMessage(view, m);
  }
}

function newTopic() { conversation = null; $("#messages").replaceChildren(); $("#question").focus(); }
$("#new-chat").addEventListener("click", newTopic);
$("#new-topic").addEventListener("click", newTopic);

// Enter sends, Shift+Enter breaks the line (and Korean IME composition is never cut short)
$("#question").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $("#ask-form").requestSubmit();
  }
});

function messageView(question) {
  const body = el("div", { class: "answer-text" });
  const meta = el("div", { class: "answer-meta" });
  const box = el("article", { class: "message" },
    el("div", { class: "question" }, question),
    el("div", { class: "answer streaming" }, body, meta));
  $("#messages").append(box);
  box.scrollIntoView({ block: "end" });
  return { box, body, meta };
}

// The rows an answer used: sorted (the rows its table marks first, then by value), collapsed, 20 a page
function sourcesTable(sources, display) {
  if (!sources || !sources.length) return null;
  const marked = new Set(((display && display.rows) || []).filter((r) => r.marked).map((r) => r.key));
  const used = (s) => !!display && display.dim && marked.has(String((s.dims || {})[display.dim]));
  const sorted = [...sources].sort((a, b) => (used(b) - used(a)) || ((b.value || 0) - (a.value || 0)));
  const tbody = el("tbody");
  const page = 20;
  let shown = 0;
  const more = el("button", { class: "link more", type: "button" }, "더 보기");
  const fill = () => {
    for (const s of sorted.slice(shown, shown + page)) {
      tbody.append(el("tr", { class: used(s) ? "used" : "" },
        el("td", {}, s.table || ""),
        el("td", {}, Object.entries(s.dims || {}).map(([k, v]) => `${k}=${v}`).join(", ")),
        el("td", {}, s.measure || ""),
        el("td", { class: "num" }, s.value == null ? "" : Number(s.value).toLocaleString("ko-KR") + (s.unit ? " " + s.unit : "")),
        el("td", {}, `${s.file || ""}${s.row ? ` (${s.row}행)` : ""}`)));
    }
    shown = Math.min(sorted.length, shown + page);
    more.hidden = shown >= sorted.length;
    more.textContent = `더 보기 (${sorted.length - shown}건 남음)`;
  };
  more.addEventListener("click", fill);
  fill();
  return el("details", { class: "sources" },
    el("summary", {}, `출처 ${sources.length}건` + (marked.size ? " (답에 쓰인 행 표시)" : "")),
    el("div", { class: "table-wrap" },
      el("table", {}, el("thead", {}, el("tr", {}, ...["표", "항목", "측정값", "값", "파일(행)"].map((h) => el("th", {}, h)))), tbody)),
    more);
}

// Rankings and breakdowns as a table, trends as a table and a line chart (exact figure on hover)
function displayView(d) {
  if (!d) return null;
  const value = (c) => (c ? el("span", { title: c.exact }, c.text) : el("span", { class: "gap" }, "자료 없음"));
  if (d.kind === "table") {
    const rows = d.rows.map((r) => el("tr", { class: r.marked ? "marked" : "" },
      el("td", { class: "num" }, r.rank), el("td", {}, r.name), el("td", { class: "num" }, value(r.cell)),
      el("td", { class: "num" }, r.share || "")));
    return el("div", { class: "display table-wrap" },
      el("table", { class: "ranking" }, el("thead", {}, el("tr", {}, ...d.columns.map((h) => el("th", {}, h)))),
        el("tbody", {}, ...rows)),
      d.more ? el("p", { class: "hint" }, `외 ${d.more}개`) : "");
  }
  if (d.kind === "trend") {
    const rows = d.rows.map((r) => el("tr", { class: r.gap ? "gap" : "" },
      el("td", {}, `${r.year}년`), el("td", { class: "num" }, value(r.cell))));
    const box = el("div", { class: "display trend" });
    const canvas = el("canvas", { class: "chart", role: "img", "aria-label": `${d.measure} 연도별 추이` });
    box.append(el("div", { class: "chart-box" }, canvas));
    if (d.gaps.length) box.append(el("p", { class: "hint" }, `${d.gaps.map((y) => y + "년").join(", ")} 자료 없음 (선이 끊김)`));
    box.append(el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, ...d.columns.map((h) => el("th", {}, h)))), el("tbody", {}, ...rows))));
    requestAnimationFrame(() => drawTrend(canvas, d));
    return box;
  }
  return null;
}

function drawTrend(canvas, d) {
  if (!window.Chart) return;
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  new window.Chart(canvas, {
    type: "line",
    data: { labels: d.series.x.map((y) => `${y}년`),
      datasets: [{ label: `${d.measure} (${d.unit || ""})`, data: d.series.y, spanGaps: false, borderColor: "#1f5fbf", tension: 0.1 }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { tooltip: { callbacks: { label: (c) => `${Number(c.parsed.y).toLocaleString("ko-KR")}${d.unit || ""}` } } },
      scales: { y: { title: { display: true, text: `${d.measure}${d.unit ? ` (${d.unit})` : ""}` },
        ticks: { callback: (v) => Number(v).toLocaleString("ko-KR") } }, x: { title: { display: true, text: "연도" } } } },
  });
}

function finishMessage(view, res) {
  view.box.querySelector(".answer").classList.remove("streaming");
  if (res.interpretation) view.meta.append(el("div", { class: "interpretation" }, res.interpretation));
  const shown = displayView(res.display);
  if (shown) view.meta.append(shown);
  if (res.choices && res.choices.length) {  // a question back: each reading as a button that asks it
    const box = el("div", { class: "choices" }, el("span", {}, "다시 묻기: "));
    res.choices.forEach((choice) => {
      const b = el("button", { type: "button", class: "choice" }, choice);
      b.addEventListener("click", () => { $("#question").value = choice; $("#ask-form").requestSubmit(); });
      box.append(b);
    });
    view.meta.append(box);
  }
  const badges = el("div", { class: "badges" });
  if (res.abstained) badges.append(el("span", { class: "badge abstained" }, "자료 없음 (답변 보류)"));
  badges.append(el("span", { class: "badge" }, `엔진: ${res.engine}`));
  if (res.data_version) badges.append(el("span", { class: "badge version" }, `자료 버전 ${res.data_version}`));
  if (res.fallback_reason) badges.append(el("span", { class: "badge warn", title: res.fallback_reason }, "검증 실패 → 자료 기반 답변"));
  view.meta.append(badges);
  const table = sourcesTable(res.sources, res.display);
  if (table) view.meta.append(table);
  if (res.message_id || res.id) view.meta.append(ratingForm({ message_id: res.message_id || res.id }, null, res.rating));
}

function parseEvents(buffer, onEvent) {
  let idx;
  while ((idx = buffer.indexOf("\n\n")) >= 0) {
    const block = buffer.slice(0, idx);
    buffer = buffer.slice(idx + 2);
    let event = "message", data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (data) onEvent(event, JSON.parse(data));
  }
  return buffer;
}

$("#ask-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const question = $("#question").value.trim();
  if (!question) return;
  $("#ask").disabled = true;
  const view = messageView(question);
  let text = "";
  try {
    const res = await fetch("/api/chat", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        question, conversation_id: conversation, model: $("#model").value || "hira-chat",
        temperature: Number($("#temperature").value), max_tokens: Number($("#max-tokens").value),
      }),
    });
    if (!res.ok) throw new Error((await res.json()).detail || res.status);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = parseEvents(buffer + decoder.decode(value, { stream: true }), (event, data) => {
        if (event === "meta") conversation = data.conversation_id;
        else if (event === "delta") { text += data.text; renderMarkdown(view.body, text); }
        else if (event === "replace") { text = data.text; renderMarkdown(view.body, text); }
        else if (event === "done") { renderMarkdown(view.body, data.answer); finishMessage(view, data); }
        else if (event === "error") view.meta.append(el("p", { class: "error" }, data.detail));
      });
    }
    $("#question").value = "";
    loadHistory();
  } catch (err) {
    view.meta.append(el("p", { class: "error" }, `오류: ${err.message}`));
  } finally {
    $("#ask").disabled = false;
  }
});

// ---- ratings -------------------------------------------------------------------------------------------
// One rating per evaluator and answer: a stored one is shown and can be revised (the server keeps history)
function ratingForm(target, onSaved, prior) {
  const form = $("#rating-template").content.firstElementChild.cloneNode(true);
  let clientId = uid(); // one id per submission: a retry of the same submission is never counted twice
  if (prior) {
    $(`input[name=score][value="${prior.score}"]`, form).checked = true;
    $(`input[name=factual][value="${prior.factual}"]`, form).checked = true;
    $("input[name=hallucination]", form).checked = !!prior.hallucination;
    $("input[name=comment]", form).value = prior.comment || "";
    $("button", form).textContent = "평가 수정";
    $(".status", form).textContent = "평가함 ✓";
    form.classList.add("saved");
  }
  form.addEventListener("change", () => { form.classList.remove("saved"); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = {
      client_id: clientId, ...target, score: Number(f.get("score")), factual: f.get("factual"),
      hallucination: f.get("hallucination") === "on", comment: f.get("comment") || "",
    };
    const status = $(".status", form);
    status.textContent = "저장 중…";
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const saved = await api("/api/ratings", { json: body });
        status.textContent = saved.revised ? "수정됨 ✓" : "저장됨 ✓";
        form.classList.add("saved");
        $("button", form).textContent = "평가 수정";
        clientId = uid(); // a later change is a new submission (a revision)
        if (onSaved) onSaved();
        return;
      } catch (err) {
        if (err.status && err.status < 500) { status.textContent = `저장 실패: ${err.message}`; return; }
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
    status.textContent = "저장 실패: 서버에 연결할 수 없습니다. 다시 시도하세요.";
  });
  return form;
}

// ---- campaigns -----------------------------------------------------------------------------------------
async function loadCampaigns() {
  const list = $("#campaign-list");
  list.replaceChildren();
  const campaigns = await api("/api/campaigns");
  if (!campaigns.length) list.append(el("li", {}, "배정된 평가 과제가 없습니다."));
  for (const c of campaigns) {
    list.append(el("li", {}, el("button", { class: "link", onclick: () => nextItem(c.id) }, c.name),
      ` — ${c.rated}/${c.items} 완료`));
  }
}

async function nextItem(campaignId) {
  showItem(campaignId, await api(`/api/campaigns/${campaignId}/next`));
}

async function itemAt(campaignId, position) {
  showItem(campaignId, await api(`/api/campaigns/${campaignId}/items/${position}`));
}

function showItem(campaignId, { item, total }) {
  const box = $("#campaign-item");
  box.replaceChildren();
  if (!item) {
    box.append(el("p", {}, `모든 문항(${total})을 평가했습니다. 감사합니다.`),
      el("button", { class: "link", onclick: () => itemAt(campaignId, 0) }, "처음 문항부터 다시 보기"));
    loadCampaigns();
    return;
  }
  const answer = el("div", { class: "answer-text" });
  renderMarkdown(answer, item.answer);
  const prev = el("button", { class: "link prev", onclick: () => itemAt(campaignId, item.position - 1) }, "← 이전 문항");
  prev.disabled = item.position === 0;
  const nav = el("div", { class: "item-nav" }, prev,
    el("span", { class: "hint" }, `${item.position + 1} / ${total}`),
    el("button", { class: "link next", onclick: () => (item.position + 1 < total ? itemAt(campaignId, item.position + 1) : nextItem(campaignId)) }, "다음 문항 →"));
  const reference = item.reference
    ? el("details", { class: "reference" }, el("summary", {}, "참고 정답"), el("p", {}, item.reference))
    : item.reference_hidden ? el("p", { class: "hint reference-hidden" }, "참고 정답은 평가를 저장한 뒤에 보입니다.") : "";
  box.append(el("article", { class: "message" }, nav,
    el("div", { class: "question" }, item.question),
    el("div", { class: "answer" }, answer, sourcesTable(item.sources) || "", reference),
    ratingForm({ item_id: item.id }, () => { loadCampaigns(); setTimeout(() => itemAt(campaignId, item.position), 200); }, item.rating)));
}

// ---- arena ---------------------------------------------------------------------------------------------
$("#arena-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const box = $("#battle");
  box.replaceChildren(el("p", {}, "두 모델이 답하는 중…"));
  try {
    const b = await api("/api/arena/battles", { json: { question: $("#arena-question").value } });
    const side = (label, s) => {
      const body = el("div", { class: "answer-text" });
      renderMarkdown(body, s.answer);
      const badge = s.fallback
        ? el("span", { class: "badge warn fallback" }, "이 모델의 답이 근거 검증에 실패해 자료 기반 답변으로 대체됨 (순위 집계 제외)")
        : "";
      return el("div", { class: "side" }, el("h4", { class: "side-name" }, `모델 ${label}`), badge, body);
    };
    const votes = el("div", { class: "votes" });
    const names = el("div", { class: "reveal" });
    for (const [v, label] of [["a", "A가 낫다"], ["b", "B가 낫다"], ["tie", "비슷하다"], ["both_bad", "둘 다 나쁘다"]]) {
      votes.append(el("button", { "data-vote": v, onclick: () => castVote(b.battle_id, v, uid(), votes, names) }, label));
    }
    box.replaceChildren(el("div", { class: "question" }, b.question),
      el("div", { class: "sides" }, side("A", b.a), side("B", b.b)), votes, names);
  } catch (err) {
    box.replaceChildren(el("p", { class: "error" }, `오류: ${err.message}`));
  }
});

async function castVote(battleId, vote, clientId, votes, names) {
  for (const btn of votes.querySelectorAll("button")) btn.disabled = true;
  try {
    const r = await api(`/api/arena/battles/${battleId}/vote`, { json: { client_id: clientId, vote } });
    names.replaceChildren(el("p", {}, `A = ${r.a}, B = ${r.b} (투표: ${vote})`));
    loadLeaderboard();
  } catch (err) {
    names.replaceChildren(el("p", { class: "error" }, `오류: ${err.message}`));
  }
}

async function loadLeaderboard() {
  const info = await api("/api/arena");
  const box = $("#leaderboard");
  if (!info.enabled) { box.replaceChildren(el("p", { class: "hint" }, "비교할 모델이 두 개 이상 설정되어야 합니다 (serve.arena).")); return; }
  const lb = await api("/api/arena/leaderboard");
  box.replaceChildren(el("div", { class: "table-wrap" }, el("table", {},
    el("thead", {}, el("tr", {}, ...["모델", "대결", "승", "무", "패", "승률", "BT 점수", "95% 구간"].map((h) => el("th", {}, h)))),
    el("tbody", {}, ...lb.rows.map((r) => el("tr", {},
      el("td", {}, r.name), el("td", {}, r.games), el("td", {}, r.wins), el("td", {}, r.ties), el("td", {}, r.losses),
      el("td", {}, r.win_rate == null ? "-" : (r.win_rate * 100).toFixed(1) + "%"), el("td", {}, r.score),
      el("td", {}, r.ci_low == null ? "-" : `${r.ci_low} – ${r.ci_high}`)))))),
  el("p", { class: "hint" }, `투표 ${lb.votes}건` +
    (lb.excluded_fallback ? ` (검증 실패로 대체된 답이 있던 대결 ${lb.excluded_fallback}건 제외)` : "")));
}

// ---- admin ---------------------------------------------------------------------------------------------
$("#user-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const status = $(".status", e.target);
  try {
    const u = await api("/api/admin/users", { json: Object.fromEntries(f) });
    status.textContent = `${u.username} 계정을 만들었습니다.`;
    e.target.reset();
    loadUsers();
  } catch (err) { status.textContent = `실패: ${err.message}`; }
});

$("#campaign-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const status = $(".status", e.target);
  const body = {
    name: f.get("name"), limit: Number(f.get("limit")),
    evaluators: String(f.get("evaluators") || "").split(",").map((s) => s.trim()).filter(Boolean),
  };
  if (f.get("split")) body.split = f.get("split");
  else body.items = String(f.get("items") || "").split("\n").map((q) => q.trim()).filter(Boolean).map((question) => ({ question }));
  status.textContent = "문항에 답하는 중…";
  try {
    const c = await api("/api/admin/campaigns", { json: body });
    status.textContent = `「${c.name}」: 문항 ${c.items}개, 평가자 ${c.evaluators.length}명`;
    loadProgress();
  } catch (err) { status.textContent = `실패: ${err.message}`; }
});

async function loadUsers() {
  const list = $("#users");
  list.replaceChildren();
  for (const u of await api("/api/admin/users")) {
    const toggle = el("button", { class: "link", onclick: async () => {
      await api(`/api/admin/users/${encodeURIComponent(u.username)}`, { method: "PATCH", json: { active: !u.active } });
      loadUsers();
    } }, u.active ? "비활성화" : "다시 활성화");
    list.append(el("li", {}, `${u.username} (${u.role === "admin" ? "관리자" : "평가자"}${u.active ? "" : ", 비활성"}) `,
      u.username === me.username ? "" : toggle));
  }
}

async function loadVersions() {
  const box = $("#versions");
  const v = await api("/api/admin/data/versions");
  if (!v.versions.length) { box.replaceChildren(el("p", { class: "hint" }, "버전 없음 (data update 전의 저장소)")); return; }
  const rows = v.versions.map((x) => {
    const serving = x.name === v.serving;
    const use = el("button", { class: "link", onclick: async () => {
      await api(`/api/admin/data/versions/${encodeURIComponent(x.name)}/activate`, { method: "POST" });
      loadVersions();
    } }, "이 버전으로 전환");
    const records = Object.values(x.tables).reduce((a, b) => a + b, 0);
    return el("tr", { class: serving ? "serving" : "" },
      el("td", {}, x.name + (serving ? " (사용 중)" : "")), el("td", {}, when(x.created)),
      el("td", {}, x.files.map((f) => f.file).join(", ") || x.note || "-"),
      el("td", {}, records.toLocaleString("ko-KR")), el("td", {}, serving ? "" : use));
  });
  const head = el("tr", {}, ...["버전", "만든 때", "파일", "레코드", ""].map((h) => el("th", {}, h)));
  box.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
  if (v.switch_error) box.append(el("p", { class: "status" }, `전환 실패: ${v.switch_error}`));
}

async function loadProgress() {
  loadUsers();
  loadVersions();
  const box = $("#progress");
  box.replaceChildren();
  for (const c of await api("/api/admin/campaigns")) {
    const ag = await api(`/api/admin/campaigns/${c.id}/agreement`);
    const fmt = (x) => (x == null ? "-" : x.toFixed(3));
    box.append(el("div", { class: "card" },
      el("h4", {}, `${c.name} (문항 ${c.items}, 모델 ${c.model})`),
      el("ul", {}, ...c.progress.map((p) => el("li", {}, `${p.username}: ${p.rated}/${c.items}`,
        el("progress", { max: String(c.items), value: String(p.rated) })))),
      el("p", { class: "hint" }, `평가자 간 일치도 (Krippendorff α, 2명 이상 평가한 문항 ${ag.items_rated_by_two_or_more}개): ` +
        `품질 ${fmt(ag.score_alpha_ordinal)} · 사실 여부 ${fmt(ag.factual_alpha_nominal)} · 환각 ${fmt(ag.hallucination_alpha_nominal)}`)));
  }
}

// ---- monitoring (admins) -------------------------------------------------------------------------------
const REASONS = { entity: "해당 자료 없음", empty: "값 비어 있음", ambiguous: "모호한 질문", dimension: "구분 없음",
  year: "연도 자료 없음", period: "기간 자료 없음", drift: "그 해에 없는 항목", scope: "기관 범위 다름",
  statistic: "제공하지 않는 통계", age: "연령 구분 불가" };
const SURFACES = { chat: "채팅", api: "API", arena: "A/B 비교", campaign: "평가 과제" };
let monitorCharts = [];

function pct(x) { return x == null ? "-" : `${(x * 100).toFixed(1)}%`; }
function shortDay(d) { return `${Number(d.slice(5, 7))}/${Number(d.slice(8, 10))}`; }

function monitorChart(id, config) {
  if (!window.Chart) return;
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  const base = { responsive: true, maintainAspectRatio: false, animation: false };
  monitorCharts.push(new window.Chart($(id), { ...config, options: { ...base, ...config.options } }));
}

async function loadMonitor() {
  const days = Number(new FormData($("#monitor-form")).get("days")) || 30;
  const tz = -new Date().getTimezoneOffset(); // days are the admin's own calendar days
  const m = await api(`/api/admin/monitor?days=${days}&tz=${tz}`);
  for (const c of monitorCharts) c.destroy();
  monitorCharts = [];
  const s = m.settings;
  $("#monitor-settings").textContent = !s.log_questions ? "질문 기록이 꺼져 있습니다 (serve.log_questions)."
    : `질문 기록 보관 ${s.log_retention_days ? s.log_retention_days + "일" : "무기한"}` + (s.log_question_text ? "" : " · 질문 문장은 저장하지 않음");
  const t = m.totals;
  const stat = (label, value) => el("div", { class: "stat" }, label, el("b", {}, value));
  $("#monitor-summary").replaceChildren(
    stat("질문", t.questions.toLocaleString("ko-KR")), stat("답변 보류율", pct(t.abstention_rate)),
    stat("대체율", pct(t.fallback_rate)), stat("응답 시간 p50", t.p50_ms == null ? "-" : `${t.p50_ms} ms`),
    stat("응답 시간 p95", t.p95_ms == null ? "-" : `${t.p95_ms} ms`),
    stat("평가된 답변", `${t.rated.rated_answers}건` + (t.rated.mean_score == null ? "" : ` · 평균 ${t.rated.mean_score}점`)));
  const labels = m.daily.map((d) => shortDay(d.day));
  const x = { title: { display: true, text: "날짜" } };
  monitorChart("#chart-questions", { type: "bar",
    data: { labels, datasets: [{ label: "질문 수", data: m.daily.map((d) => d.questions), backgroundColor: "#1f5fbf" }] },
    options: { scales: { x, y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "질문 수" } } } } });
  monitorChart("#chart-latency", { type: "line",
    data: { labels, datasets: [["p50", "p50_ms", "#1f5fbf"], ["p95", "p95_ms", "#a35200"], ["p99", "p99_ms", "#b00020"]].map(([name, k, color]) =>
      ({ label: `${name} 응답 시간`, data: m.daily.map((d) => d[k]), borderColor: color, spanGaps: false })) },
    options: { scales: { x, y: { beginAtZero: true, title: { display: true, text: "응답 시간 (ms)" } } } } });
  monitorChart("#chart-rates", { type: "line",
    data: { labels, datasets: [
      { label: "답변 보류율", data: m.daily.map((d) => d.abstention_rate == null ? null : d.abstention_rate * 100), borderColor: "#a35200" },
      { label: "대체율 (검증 실패)", data: m.daily.map((d) => d.fallback_rate == null ? null : d.fallback_rate * 100), borderColor: "#6a3fb5" }] },
    options: { scales: { x, y: { beginAtZero: true, max: 100, title: { display: true, text: "비율 (%)" } } } } });
  monitorChart("#chart-ratings", { type: "bar",
    data: { labels: m.ratings.map((d) => shortDay(d.day)), datasets: [
      { label: "평가 수", data: m.ratings.map((d) => d.ratings), backgroundColor: "#9db8e3", yAxisID: "y" },
      { type: "line", label: "평균 점수", data: m.ratings.map((d) => d.mean_score), borderColor: "#1f5fbf", yAxisID: "score" }] },
    options: { scales: { x, y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "평가 수" } },
      score: { position: "right", min: 1, max: 5, title: { display: true, text: "평균 점수 (1–5)" }, grid: { drawOnChartArea: false } } } } });
  monitorChart("#chart-tables", { type: "bar",
    data: { labels: m.tables.map((t) => t.title), datasets: [
      { label: "질문 수", data: m.tables.map((t) => t.questions), backgroundColor: "#1f5fbf" },
      { label: "답변 보류", data: m.tables.map((t) => t.abstained), backgroundColor: "#a35200" }] },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "질문 수" } },
      y: { ticks: { callback: (i) => { const t = m.tables[i].title; return t.length > 16 ? t.slice(0, 15) + "…" : t; } } } } } });
  const table = (heads, rows) => el("table", {}, el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", {}, h)))), el("tbody", {}, ...rows));
  $("#monitor-abstained").replaceChildren(m.abstained_questions.length
    ? table(["질문", "해석", "사유", "횟수", "마지막"], m.abstained_questions.map((q) => el("tr", {},
      el("td", {}, q.question ?? "(저장 안 함)"), el("td", {}, q.interpretation || "(해석 없음)"),
      el("td", {}, REASONS[q.reason] || q.reason || "-"), el("td", { class: "num" }, q.count), el("td", {}, when(q.last)))))
    : el("p", { class: "hint" }, "이 기간에 답변을 보류한 질문이 없습니다."));
  $("#monitor-recent").replaceChildren(m.recent.length
    ? table(["시각", "경로", "모델", "질문", "보류", "대체", "응답 시간", "평가"], m.recent.map((r) => el("tr", {},
      el("td", {}, when(r.time)), el("td", {}, SURFACES[r.surface] || r.surface), el("td", {}, r.model || r.engine),
      el("td", {}, r.question ?? r.interpretation ?? ""), el("td", {}, r.abstained ? REASONS[r.reason] || r.reason || "예" : ""),
      el("td", { title: r.fallback_reason || "" }, r.fallback ? "예" : ""), el("td", { class: "num" }, `${Math.round(r.latency_ms)} ms`),
      el("td", {}, r.ratings ? `${r.mean_score}점 (${r.ratings})` : ""))))
    : el("p", { class: "hint" }, "기록된 질문이 없습니다."));
}

$("#monitor-form").addEventListener("submit", (e) => { e.preventDefault(); loadMonitor(); });

start();
