// nflsync.js: a small WebSocket client for nflsync (docs/PROTOCOL.md).
//
//   import { NflSyncClient } from "/nflsync.js";
//   const client = new NflSyncClient("ws://127.0.0.1:8080/ws");
//   client.on("PLAYER_UPDATE", (message) => render(message.data));
//   client.subscribePlayer("00-0033873");
//   client.connect();
//
// The client keeps the streams it follows and the last "epoch" and "seq" it
// saw on each. After a disconnect it reconnects with exponential backoff and
// jitter, or after the server's reconnect_after_ms hint on close code 1012.
// Then it sends one "resume" action and gets exactly the messages it missed,
// or a SNAPSHOT marked "reset" when the server cannot replay them.
// Duplicates (seq at or below the last seen) are dropped.

const SERVICE_RESTART = 1012;

const ID_FIELDS = { player: "player_id", game: "game_id", league: "league_id", scoreboard: null };

export class NflSyncClient {
  // url: the ws:// or wss:// URL of /ws. options.token: a JWT sent as
  // ?token=. options.minDelayMs and maxDelayMs bound the reconnect backoff.
  constructor(url, options = {}) {
    this.url = url;
    this.token = options.token || "";
    this.minDelayMs = options.minDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30000;
    this.handlers = new Map();
    this.streams = new Set(); // stream keys the application follows
    this.positions = new Map(); // stream key -> {epoch, seq}
    this.socket = null;
    this.attempt = 0;
    this.closedByUser = false;
    this.reconnectTimer = null;
  }

  // on registers handler(message) for a server message type, such as
  // "PLAYER_UPDATE", or "*" for every message, or "status" for connection
  // changes ({state, code, reason, delayMs}).
  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(handler);
    return this;
  }

  connect() {
    this.closedByUser = false;
    const url = this.token ? `${this.url}?token=${encodeURIComponent(this.token)}` : this.url;
    const socket = new WebSocket(url);
    this.socket = socket;
    this.emit("status", { state: "connecting" });

    socket.onopen = () => {
      this.attempt = 0;
      this.emit("status", { state: "open" });
      this.followAll();
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.closedByUser) {
        this.emit("status", { state: "closed", code: event.code, reason: event.reason });
        return;
      }
      const delayMs = this.reconnectDelay(event);
      this.emit("status", { state: "reconnecting", code: event.code, reason: event.reason, delayMs });
      this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
    };
  }

  close() {
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    if (this.socket) this.socket.close(1000, "client closed");
  }

  subscribePlayer(playerId) { this.follow(`player:${playerId}`); }
  unsubscribePlayer(playerId) { this.unfollow(`player:${playerId}`); }
  subscribeGame(gameId) { this.follow(`game:${gameId}`); }
  unsubscribeGame(gameId) { this.unfollow(`game:${gameId}`); }
  subscribeLeague(leagueId) { this.follow(`league:${leagueId}`); }
  unsubscribeLeague(leagueId) { this.unfollow(`league:${leagueId}`); }
  subscribeScoreboard() { this.follow("scoreboard:current"); }
  unsubscribeScoreboard() { this.unfollow("scoreboard:current"); }

  // position returns the last {epoch, seq} seen on a stream, or undefined.
  position(stream) { return this.positions.get(stream); }

  follow(stream) {
    if (this.streams.has(stream)) return;
    this.streams.add(stream);
    if (this.isOpen()) this.send(actionFor("subscribe", stream));
  }

  unfollow(stream) {
    if (!this.streams.delete(stream)) return;
    this.positions.delete(stream);
    if (this.isOpen()) this.send(actionFor("unsubscribe", stream));
  }

  // followAll runs after every (re)connect: streams with a known position
  // are resumed in one action, the others subscribed.
  followAll() {
    const resume = [];
    for (const stream of this.streams) {
      const position = this.positions.get(stream);
      if (position) {
        resume.push({ stream, epoch: position.epoch, seq: position.seq });
      } else {
        this.send(actionFor("subscribe", stream));
      }
    }
    if (resume.length > 0) this.send({ action: "resume", streams: resume });
  }

  receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch (error) {
      console.warn("nflsync: server message is not JSON", error);
      return;
    }

    if (message.stream && typeof message.seq === "number" && message.epoch) {
      if (!this.streams.has(message.stream)) return;
      if (!this.advance(message)) return;
    }
    this.emit(message.type, message);
    this.emit("*", message);
  }

  // advance records a message's position and returns false for a duplicate.
  // A resume ACK carries the stream's current seq, which is ahead of the
  // missed messages that follow it, so it does not move the position. A
  // SNAPSHOT moves it once its last page is in.
  advance(message) {
    if (message.type === "ACK") {
      if (message.action !== "resume") this.setPosition(message);
      return true;
    }
    if (message.type === "SNAPSHOT") {
      if (message.page === message.pages) this.setPosition(message);
      return true;
    }

    const known = this.positions.get(message.stream);
    if (known && known.epoch === message.epoch && message.seq <= known.seq) return false;
    this.setPosition(message);
    return true;
  }

  setPosition(message) {
    this.positions.set(message.stream, { epoch: message.epoch, seq: message.seq });
  }

  reconnectDelay(event) {
    if (event.code === SERVICE_RESTART) {
      try {
        const hint = JSON.parse(event.reason);
        if (Number.isFinite(hint.reconnect_after_ms)) return hint.reconnect_after_ms;
      } catch {
        // Fall through to the backoff.
      }
    }
    const ceiling = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(this.minDelayMs / 2 + Math.random() * ceiling);
  }

  isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  send(action) {
    this.socket.send(JSON.stringify(action));
  }

  emit(type, value) {
    for (const handler of this.handlers.get(type) || []) {
      try {
        handler(value);
      } catch (error) {
        console.error(`nflsync: ${type} handler failed`, error);
      }
    }
  }
}

// actionFor returns the subscribe or unsubscribe action of a stream key.
function actionFor(verb, stream) {
  const colon = stream.indexOf(":");
  const kind = stream.slice(0, colon);
  const action = { action: `${verb}_${kind}` };
  const idField = ID_FIELDS[kind];
  if (idField) action[idField] = stream.slice(colon + 1);
  return action;
}
