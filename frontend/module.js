// Quarry's frontend: a minimal AMD module using the libraries Grafana provides to plugins.
// The config editor edits jsonData as JSON (it must name a "module"); the query editor edits the
// query model as JSON. Everything else runs in the backend and its WebAssembly modules.
define(['@grafana/data', '@grafana/runtime', 'react'], function (data, runtime, React) {
  'use strict';
  var h = React.createElement;

  function JsonEditor(props) {
    var state = React.useState(JSON.stringify(props.value || {}, null, 2));
    var text = state[0], setText = state[1];
    var errState = React.useState('');
    return h('div', { style: { display: 'flex', flexDirection: 'column', gap: 4 } },
      h('label', null, props.label),
      h('textarea', {
        value: text, rows: props.rows || 6, style: { fontFamily: 'monospace', width: '100%' },
        onChange: function (e) { setText(e.target.value); },
        onBlur: function () {
          try { props.onChange(JSON.parse(text)); errState[1](''); }
          catch (e) { errState[1]('invalid JSON: ' + e.message); }
        },
      }),
      errState[0] ? h('span', { style: { color: 'red' } }, errState[0]) : null);
  }

  function ConfigEditor(props) {
    var options = props.options;
    return h(JsonEditor, {
      label: 'jsonData (set "module" to the name of a .wasm file in the modules directory)',
      value: options.jsonData,
      onChange: function (v) { props.onOptionsChange(Object.assign({}, options, { jsonData: v })); },
    });
  }

  function QueryEditor(props) {
    var q = Object.assign({}, props.query);
    var model = {};
    Object.keys(q).forEach(function (k) { if (k !== 'refId' && k !== 'datasource' && k !== 'hide' && k !== 'key') { model[k] = q[k]; } });
    return h(JsonEditor, {
      label: 'Query model (JSON, passed to the module)', rows: 4, value: model,
      onChange: function (v) { props.onChange(Object.assign({ refId: q.refId, datasource: q.datasource }, v)); props.onRunQuery(); },
    });
  }

  class QuarryDataSource extends runtime.DataSourceWithBackend {}

  return {
    plugin: new data.DataSourcePlugin(QuarryDataSource).setConfigEditor(ConfigEditor).setQueryEditor(QueryEditor),
  };
});
