// The portal's gateway URL setting: an origin from PORTCULLIS_PORTAL_GATEWAY_URL, else the node's
// own proxy when it is known, else none; anything that is not an http(s) origin is refused at start
// (it goes into the web app's CSP connect-src).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatewayUrlSetting, portalSettings, PortalSettingsError } from './settings.ts';

test('gateway URL: the setting, else the local proxy once known, else none', () => {
  let local: string | undefined;
  const settings = portalSettings({}, 'http://127.0.0.1:8081', () => local);
  assert.equal(settings.gatewayUrl(), undefined);
  local = 'http://127.0.0.1:8000';
  assert.equal(settings.gatewayUrl(), 'http://127.0.0.1:8000', 'asked per request: the proxy port can come later');
  assert.equal(portalSettings({ PORTCULLIS_PORTAL_GATEWAY_URL: 'https://API.example.com:443/' }, undefined, () => local).gatewayUrl(), 'https://api.example.com');
  assert.equal(portalSettings({ PORTCULLIS_PORTAL_GATEWAY_URL: '' }).gatewayUrl(), undefined);
});

test('gateway URL: only an http(s) origin', () => {
  for (const bad of ['api.example.com', 'ftp://api.example.com', 'https://api.example.com/v1', 'https://u:p@api.example.com', 'https://api.example.com/?x', "https://a.example.com; script-src *"]) {
    assert.throws(() => gatewayUrlSetting(bad), PortalSettingsError, bad);
  }
  assert.equal(gatewayUrlSetting('http://[::1]:8000'), 'http://[::1]:8000');
});
