/* Tactful: an incremental text/event-stream parser, per the HTML spec's
 * "Interpreting an event stream". Lines end in CRLF, LF or CR (the Tactful API
 * sends CRLF), a chunk may end anywhere (even between CR and LF), comments start
 * with ":", "data" lines are joined with "\n", and a blank line dispatches.
 * Classic script: works in a content script, a service worker (importScripts),
 * a page (<script src>) and Node (globalThis). Shared verbatim by the extension and
 * the /playground page (tests/unit/test_playground.py checks the copies match). */
(function (root) {
  'use strict';

  function createSSEParser(onEvent) {
    let buffer = '';
    let started = false;
    let skipLF = false; // the previous chunk ended in CR: a leading LF belongs to it
    let data = '';
    let hasData = false;
    let type = '';
    let lastId = '';

    function processLine(line) {
      if (line === '') {
        if (hasData) {
          onEvent({ event: type || 'message', data: data.slice(0, -1), id: lastId });
        }
        data = '';
        hasData = false;
        type = '';
        return;
      }
      if (line.charCodeAt(0) === 58 /* ':' */) return;
      const colon = line.indexOf(':');
      let field = line;
      let value = '';
      if (colon !== -1) {
        field = line.slice(0, colon);
        value = line.slice(colon + 1);
        if (value.charCodeAt(0) === 32) value = value.slice(1);
      }
      if (field === 'event') type = value;
      else if (field === 'data') {
        data += value + '\n';
        hasData = true;
      } else if (field === 'id' && value.indexOf('\0') === -1) lastId = value;
      // "retry" and unknown fields are ignored (no reconnection here).
    }

    return {
      push(chunk) {
        if (!chunk) return;
        if (!started) {
          started = true;
          if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
        }
        if (skipLF) {
          skipLF = false;
          if (chunk.charCodeAt(0) === 10) chunk = chunk.slice(1);
        }
        buffer += chunk;
        let start = 0;
        const n = buffer.length;
        for (let i = 0; i < n; i++) {
          const c = buffer.charCodeAt(i);
          if (c !== 13 && c !== 10) continue;
          processLine(buffer.slice(start, i));
          if (c === 13) {
            if (i + 1 < n) {
              if (buffer.charCodeAt(i + 1) === 10) i++;
            } else {
              skipLF = true;
            }
          }
          start = i + 1;
        }
        buffer = buffer.slice(start);
      },
      /** End of stream: an event without its blank line is discarded, per the spec. */
      end() {
        buffer = '';
        data = '';
        hasData = false;
        type = '';
      },
    };
  }

  root.TactfulSSE = { createSSEParser };
})(typeof globalThis !== 'undefined' ? globalThis : self);
