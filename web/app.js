// The live page: this week's scoreboard, one player's weeks and one
// league's leaderboard, kept current by an NflSyncClient.
//
// Query parameters: player (gsis_id, default Patrick Mahomes 00-0033873),
// league (league id, none by default), token (a JWT when the server
// requires one).

import { NflSyncClient } from "./nflsync.js";

const params = new URLSearchParams(location.search);
const playerId = params.get("player") || "00-0033873";
const leagueId = params.get("league") || "";
const scheme = location.protocol === "https:" ? "wss:" : "ws:";
const client = new NflSyncClient(`${scheme}//${location.host}/ws`, { token: params.get("token") || "" });

const games = new Map(); // game_id -> GameScoreData
const playerWeeks = new Map(); // "season-week" -> PlayerUpdateData
let leaderboard = []; // leaderboard rows in rank order

const $ = (id) => document.getElementById(id);

client.on("status", (status) => {
  const element = $("status");
  element.dataset.state = status.state;
  const text = {
    connecting: "connecting…",
    open: "live",
    reconnecting: `reconnecting in ${Math.round((status.delayMs || 0) / 1000)} s (close code ${status.code})`,
    closed: "closed",
  }[status.state];
  element.textContent = text || status.state;
});

client.on("ERROR", (message) => console.warn("nflsync error", message.error));

client.on("SNAPSHOT", (message) => {
  if (message.stream === "scoreboard:current") {
    if (message.reset || message.page === 1) games.clear();
    message.items.forEach(putGame);
    renderScoreboard([]);
  } else if (message.stream === `player:${playerId}`) {
    if (message.reset || message.page === 1) playerWeeks.clear();
    message.items.forEach(putPlayerWeek);
    renderPlayer(null);
  } else if (message.stream === `league:${leagueId}`) {
    if (message.reset || message.page === 1) leaderboard = [];
    leaderboard.push(...message.items);
    renderLeaderboard();
  }
});

client.on("GAME_SCORES", (message) => {
  if (message.stream !== "scoreboard:current") return;
  message.deltas.forEach(putGame);
  renderScoreboard(message.deltas.map((game) => game.game_id));
});

client.on("PLAYER_UPDATE", (message) => {
  if (message.stream !== `player:${playerId}`) return;
  putPlayerWeek(message.data);
  renderPlayer(weekKey(message.data));
});

client.on("LEADERBOARD_UPDATE", (message) => {
  if (message.stream !== `league:${leagueId}`) return;
  leaderboard = message.items || message.rows || [];
  renderLeaderboard();
});

function putGame(game) {
  games.set(game.game_id, game);
}

function weekKey(data) {
  return `${data.season}-${String(data.week).padStart(2, "0")}`;
}

function putPlayerWeek(data) {
  playerWeeks.set(weekKey(data), data);
}

// renderScoreboard shows the games of the latest week seen, the way the
// server's scoreboard stream defines the current week.
function renderScoreboard(changedIds) {
  const all = [...games.values()];
  const latestWeek = Math.max(...all.map((game) => game.season * 100 + game.week));
  const shown = all
    .filter((game) => game.season * 100 + game.week === latestWeek)
    // A game without a known kickoff has no "kickoff" field and sorts first.
    .sort((a, b) => (a.kickoff ?? "").localeCompare(b.kickoff ?? "") || a.game_id.localeCompare(b.game_id));

  const body = $("scoreboard").tBodies[0];
  body.replaceChildren(...shown.map((game) => {
    const row = document.createElement("tr");
    row.dataset.gameId = game.game_id;
    row.dataset.status = game.status;
    if (changedIds.includes(game.game_id)) row.className = "changed";
    row.append(
      cell(game.away_team),
      cell(game.away_score ?? "–", "score"),
      cell(game.home_score ?? "–", "score"),
      cell(game.home_team),
      cell(gameStatusText(game)),
    );
    return row;
  }));
  $("scoreboard-empty").hidden = shown.length > 0;
  $("scoreboard-week").textContent = shown.length > 0 ? `· ${shown[0].season} week ${shown[0].week}` : "";
}

function renderPlayer(changedKey) {
  const weeks = [...playerWeeks.entries()].sort(([a], [b]) => b.localeCompare(a));
  if (weeks.length > 0) {
    const latest = weeks[0][1];
    $("player-name").textContent = latest.player_name || playerId;
    $("player-meta").textContent = [latest.position, latest.team, `gsis_id ${latest.player_id}`].filter(Boolean).join(" · ");
  }

  const body = $("player-weeks").tBodies[0];
  body.replaceChildren(...weeks.map(([key, data]) => {
    const row = document.createElement("tr");
    row.dataset.week = data.week;
    if (key === changedKey) row.className = "changed";
    const points = data.points || {};
    row.append(
      cell(`${data.season} W${data.week}`),
      cell(data.opponent_team || ""),
      cell(points.standard ?? "", "score"),
      cell(points["half-ppr"] ?? "", "score"),
      cell(points.ppr ?? "", "score"),
    );
    return row;
  }));
  $("player-empty").hidden = weeks.length > 0;
}

function renderLeaderboard() {
  const body = $("leaderboard").tBodies[0];
  body.replaceChildren(...leaderboard.map((row) => {
    const tr = document.createElement("tr");
    const changeCell = rankChangeCell(Number(row.change ?? 0));
    tr.append(cell(row.rank ?? ""), cell(row.team ?? row.team_name ?? ""), cell(row.points ?? "", "score"), changeCell);
    return tr;
  }));
  $("league-empty").hidden = leaderboard.length > 0 || !leagueId;
  if (leagueId && leaderboard.length === 0) {
    $("league-empty").hidden = false;
    $("league-empty").textContent = `Waiting for league ${leagueId}…`;
  }
}

function gameStatusText(game) {
  if (game.status !== "final") return kickoffText(game.kickoff);
  return game.overtime ? "Final/OT" : "Final";
}

// rankChangeCell shows a rank change: positive moved up.
function rankChangeCell(change) {
  if (change > 0) return cell(`▲ ${change}`, "up");
  if (change < 0) return cell(`▼ ${-change}`, "down");
  return cell("–");
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = String(text);
  if (className) td.className = className;
  return td;
}

function kickoffText(kickoff) {
  const date = new Date(kickoff);
  return Number.isNaN(date.getTime()) ? "scheduled" : date.toLocaleString([], { weekday: "short", hour: "numeric", minute: "2-digit" });
}

$("league-id").textContent = leagueId;
client.subscribeScoreboard();
client.subscribePlayer(playerId);
if (leagueId) client.subscribeLeague(leagueId);
client.connect();

// For tests and debugging.
window.nflsync = { client, games, playerWeeks };
