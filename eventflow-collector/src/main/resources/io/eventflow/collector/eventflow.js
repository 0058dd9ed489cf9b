/*
 * eventflow.js: tracks events from a web page into an eventflow collector. No dependencies.
 *
 *   <script src="https://collector.example.com/eventflow.js"></script>
 *   <script>
 *     eventflow.init({ key: "PUBLIC_WRITE_KEY" });   // collector: where this script came from
 *     eventflow.track("signup", { plan: "pro", seats: 3 });
 *   </script>
 *
 * Events get their id (a UUIDv7) and timestamp here, so a resend after a lost answer is the same
 * event and ingest counts it once. They wait in a queue kept in localStorage (bounded: the oldest
 * are dropped first) and go out in batches: when `batchSize` are waiting or after
 * `flushInterval` ms. A batch leaves the queue only once the collector answered 200 (it answers
 * only after Pub/Sub stored the events) or said the batch can never be taken (400, 401, 413);
 * 429, 503 and network errors are retried with exponential backoff and jitter. When the page is
 * hidden or left, what is queued goes out with navigator.sendBeacon.
 *
 * Requests are text/plain, which browsers send across origins without a CORS preflight; the key
 * travels as ?key=, since sendBeacon cannot set headers. A browser key is public by nature: it
 * decides the events' source and is rate limited, nothing more.
 */
(function (global) {
  "use strict";

  var defaults = {
    collector: null, // origin of the collector; default: this script's origin
    key: null, // the API key, or null for an open (local) collector
    batchSize: 20, // events per request
    flushInterval: 1000, // ms an event waits for its batch at most
    maxQueue: 1000, // events kept at most (localStorage too); the oldest are dropped beyond
    maxBackoff: 60000, // ms between retries at most
    storageKey: "eventflow.queue",
  };

  var config = null;
  var queue = [];
  var timer = null;
  var inFlight = 0; // events of the request under way (the first ones of the queue)
  var backoff = 0;
  var retrying = false; // a batch was refused: the next request waits for the backoff timer
  var dropped = 0;
  var scriptOrigin = null;

  try {
    var current = document.currentScript;
    if (current && current.src) {
      scriptOrigin = new URL(current.src).origin;
    }
  } catch (e) {
    scriptOrigin = null;
  }

  function hex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) {
      out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return out;
  }

  /** A UUIDv7: 48 bits of Unix milliseconds, version 7, variant 10, the rest random. */
  function uuid7() {
    var bytes = new Uint8Array(16);
    global.crypto.getRandomValues(bytes);
    var ms = Date.now();
    for (var i = 5; i >= 0; i--) {
      bytes[i] = ms % 256;
      ms = Math.floor(ms / 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x70;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var h = hex(bytes);
    return (
      h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" +
      h.slice(20)
    );
  }

  /** A JavaScript value as an eventflow AttributeValue in proto3 JSON. */
  function attribute(value) {
    if (typeof value === "boolean") {
      return { boolValue: value };
    }
    if (typeof value === "number") {
      return Number.isSafeInteger(value) ? { intValue: String(value) } : { floatValue: value };
    }
    if (value instanceof Date) {
      return { timestampValue: value.toISOString() };
    }
    return { stringValue: String(value) };
  }

  function load() {
    try {
      var stored = global.localStorage.getItem(config.storageKey);
      return stored ? JSON.parse(stored) : [];
    } catch (e) {
      return []; // storage off (private mode) or corrupt: start empty
    }
  }

  function save() {
    try {
      global.localStorage.setItem(config.storageKey, JSON.stringify(queue));
    } catch (e) {
      // Storage full or off: the queue still lives in memory for this page.
    }
  }

  function url() {
    var base = (config.collector || scriptOrigin || "").replace(/\/$/, "");
    return base + "/v1/batch" + (config.key ? "?key=" + encodeURIComponent(config.key) : "");
  }

  function schedule(delay) {
    if (timer === null) {
      timer = setTimeout(function () {
        timer = null;
        retrying = false;
        flush();
      }, delay);
    }
  }

  function settle(count) {
    queue.splice(0, count);
    inFlight = 0;
    save();
  }

  function retry() {
    inFlight = 0;
    retrying = true;
    backoff = Math.min(config.maxBackoff, backoff ? backoff * 2 : 1000);
    // The backoff replaces a pending flush, which may come sooner or (a long flushInterval) later.
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    schedule(backoff / 2 + Math.random() * (backoff / 2));
  }

  /** Sends the oldest batch now, unless one is under way. */
  function flush() {
    if (inFlight > 0 || queue.length === 0) {
      return;
    }
    var batch = queue.slice(0, config.batchSize);
    inFlight = batch.length;
    fetch(url(), {
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      body: JSON.stringify(batch),
      keepalive: true,
    }).then(
      function (response) {
        if (response.ok || response.status === 400 || response.status === 401 ||
            response.status === 413) {
          // Taken, or never takeable: either way it leaves the queue.
          backoff = 0;
          settle(batch.length);
          if (queue.length >= config.batchSize) {
            flush();
          } else if (queue.length > 0) {
            schedule(config.flushInterval);
          }
        } else {
          retry(); // 429, 503, ...: the collector asks to come back later
        }
      },
      function () {
        retry(); // offline, collector unreachable
      }
    );
  }

  /** On page hide: hand everything not under way to the browser, which sends it after we go. */
  function beacon() {
    var waiting = queue.slice(inFlight);
    if (waiting.length === 0 || !global.navigator.sendBeacon) {
      return;
    }
    for (var i = 0; i < waiting.length; i += config.batchSize) {
      var batch = waiting.slice(i, i + config.batchSize);
      var body = new Blob([JSON.stringify(batch)], { type: "text/plain;charset=UTF-8" });
      if (!global.navigator.sendBeacon(url(), body)) {
        return; // the browser refused (size limit): keep the rest for the next page
      }
      queue.splice(inFlight, batch.length);
    }
    save();
  }

  var eventflow = {
    /** Sets the options (see defaults above); queued events of earlier pages are sent. */
    init: function (options) {
      config = {};
      for (var name in defaults) {
        config[name] = options && options[name] !== undefined ? options[name] : defaults[name];
      }
      queue = load();
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "hidden") {
          beacon();
        }
      });
      global.addEventListener("pagehide", beacon);
      if (queue.length > 0) {
        schedule(0);
      }
      return eventflow;
    },

    /** Queues an event of `type` with `attributes` (numbers, booleans, strings, Dates). */
    track: function (type, attributes) {
      if (config === null) {
        eventflow.init({});
      }
      var event = { id: uuid7(), type: String(type), timestamp: new Date().toISOString(),
                    attributes: {} };
      for (var key in attributes || {}) {
        if (Object.prototype.hasOwnProperty.call(attributes, key) && attributes[key] != null) {
          event.attributes[key] = attribute(attributes[key]);
        }
      }
      queue.push(event);
      if (queue.length > config.maxQueue) {
        var excess = queue.length - config.maxQueue;
        queue.splice(inFlight, excess); // the oldest not under way
        dropped += excess;
      }
      save();
      if (!retrying && queue.length - inFlight >= config.batchSize) {
        flush();
      } else {
        schedule(config.flushInterval);
      }
      return event.id;
    },

    /** Sends what is queued now. */
    flush: flush,

    /** Returns how many events wait, are under way, and were dropped for the queue bound. */
    stats: function () {
      return { queued: queue.length, inFlight: inFlight, dropped: dropped };
    },
  };

  global.eventflow = eventflow;
})(window);
