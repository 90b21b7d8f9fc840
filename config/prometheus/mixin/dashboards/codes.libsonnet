// SIP codes explained
local lib = import 'lib.libsonnet';

function(c)
  local g = lib.panels(c);
  local s = lib.selectors(c);
  lib.dashboard(c, 'sip-codes', 'SIP codes explained', 'Which SIP response codes the platform logs show, how often, and what each means for users and engineers, in Chinese or English.', lib.variables(c, 'sip_responses_total') + [
    lib.queryVariable(c, 'profile', 'Profile', 'label_values(sip_response_code_info, profile)', all=false, multi=false) + {
      current: { selected: true, text: 'gb28181-platform', value: 'gb28181-platform' },
    },
    {
      name: 'lang',
      label: 'Language',
      type: 'custom',
      hide: 0,
      multi: false,
      includeAll: false,
      query: '中文 : zh, English : en',
      current: {
        selected: true,
        text: '中文',
        value: 'zh',
      },
      options: [
        {
          selected: true,
          text: '中文',
          value: 'zh',
        },
        {
          selected: false,
          text: 'English',
          value: 'en',
        },
      ],
      skipUrlSync: false,
    },
  ], [
    g.table(1, 'Codes seen in the time range', "Every response code counted in the selected sources over the dashboard's time range, with the catalog's explanation for users and for engineers in the language chosen above (variable lang) and the profile chosen above. Codes the catalog does not know show without explanation.", { h: 12, w: 24, x: 0, y: 0 }, [
      g.tableTarget((|||
                       label_replace(label_replace(
                         (sum by (code) (increase(sip_responses_total{%(sel)s}[$__range])) > 0)
                         * on (code) group_left (category, severity, reason, user_$lang, engineer_$lang)
                           max by (code, category, severity, reason, user_$lang, engineer_$lang) (sip_response_code_info{%(host)s, profile="$profile"}),
                         "user", "$1", "user_$lang", "(.*)"),
                         "engineer", "$1", "engineer_$lang", "(.*)")
                       or on (code) (sum by (code) (increase(sip_responses_total{%(sel)s}[$__range])) > 0)
                     ||| % s)),
    ]) + { fieldConfig+: { overrides: [{ matcher: { id: 'byName', options: 'Count' }, properties: [{ id: 'decimals', value: 0 }, { id: 'custom.width', value: 90 }] }, { matcher: { id: 'byName', options: 'Code' }, properties: [{ id: 'custom.width', value: 70 }] }, { matcher: { id: 'byName', options: 'Category' }, properties: [{ id: 'custom.width', value: 120 }] }, { matcher: { id: 'byName', options: 'Severity' }, properties: [{ id: 'custom.width', value: 90 }] }, { matcher: { id: 'byName', options: 'Reason' }, properties: [{ id: 'custom.width', value: 200 }] }] }, options+: { sortBy: [{ displayName: 'Count', desc: true }] }, transformations: [{ id: 'merge', options: {} }, { id: 'organize', options: { excludeByName: { Time: true, user_zh: true, user_en: true, engineer_zh: true, engineer_en: true }, indexByName: { code: 0, Value: 1, category: 2, severity: 3, reason: 4, user: 5, engineer: 6 }, renameByName: { code: 'Code', Value: 'Count', category: 'Category', severity: 'Severity', reason: 'Reason', user: 'For users', engineer: 'For engineers' } } }] },
    g.table(2, 'Codes seen by method and direction', 'The same counts split by the method of the request answered and by direction (in: received by the logging system, out: sent by it).', { h: 10, w: 12, x: 0, y: 12 }, [
      g.tableTarget('sum by (code, method, direction) (increase(sip_responses_total{%(sel)s}[$__range])) > 0' % s),
    ]) + { fieldConfig+: { overrides: [{ matcher: { id: 'byName', options: 'Count' }, properties: [{ id: 'decimals', value: 0 }, { id: 'custom.width', value: 90 }] }] }, options+: { sortBy: [{ displayName: 'Count', desc: true }] }, transformations: [{ id: 'merge', options: {} }, { id: 'organize', options: { excludeByName: { Time: true }, indexByName: { code: 0, method: 1, direction: 2, Value: 3 }, renameByName: { code: 'Code', method: 'Method', direction: 'Direction', Value: 'Count' } } }] },
    g.timeseries(3, 'Failed responses per second by code', 'Failed final responses per second by code (categories other than success, provisional, redirect, auth and cancelled).', { h: 10, w: 12, x: 12, y: 12 }, [
      g.target('sum by (code) (rate(sip_responses_total{%(sel)s, category!~"provisional|success|redirect|auth|cancelled"}[$__rate_interval]))' % s, '{{code}}'),
    ], unit='reqps'),
    g.table(4, 'Catalog: every code of the profile', 'The whole catalog as the exporter serves it (sip_response_code_info) for the chosen profile and language, seen or not: a reference to look codes up.', { h: 16, w: 24, x: 0, y: 22 }, [
      g.tableTarget((|||
                       label_replace(label_replace(
                         max by (code, category, severity, reason, user_$lang, engineer_$lang) (sip_response_code_info{%(host)s, profile="$profile"}),
                         "user", "$1", "user_$lang", "(.*)"),
                         "engineer", "$1", "engineer_$lang", "(.*)")
                     ||| % s)),
    ]) + { fieldConfig+: { overrides: [{ matcher: { id: 'byName', options: 'Code' }, properties: [{ id: 'custom.width', value: 70 }] }, { matcher: { id: 'byName', options: 'Category' }, properties: [{ id: 'custom.width', value: 120 }] }, { matcher: { id: 'byName', options: 'Severity' }, properties: [{ id: 'custom.width', value: 90 }] }, { matcher: { id: 'byName', options: 'Reason' }, properties: [{ id: 'custom.width', value: 200 }] }] }, options+: { sortBy: [{ displayName: 'Code', desc: false }] }, transformations: [{ id: 'merge', options: {} }, { id: 'organize', options: { excludeByName: { Time: true, user_zh: true, user_en: true, engineer_zh: true, engineer_en: true, Value: true }, indexByName: { code: 0, category: 1, severity: 2, reason: 3, user: 4, engineer: 5 }, renameByName: { code: 'Code', category: 'Category', severity: 'Severity', reason: 'Reason', user: 'For users', engineer: 'For engineers' } } }] },
  ])
