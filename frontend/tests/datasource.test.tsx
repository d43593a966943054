import { AnnotationQuery, DataQueryRequest, FieldType, ScopedVars, createDataFrame, dateTime } from '@grafana/data';
import { TemplateSrv, setTemplateSrv } from '@grafana/runtime';
import { render, waitFor } from '@testing-library/react';
import React from 'react';
import { lastValueFrom, of } from 'rxjs';

import { VariableQueryEditor } from '../src/components/VariableQueryEditor';
import { QuarryVariableSupport, valuesFromFrames } from '../src/datasource';
import { QuarryQuery } from '../src/types';
import { httpApiDescriptor, statusFor } from './fixtures';
import { makeDataSource, mockBackendSrv } from './helpers';

const STATUS_URL = '/api/datasources/uid/quarry-test/resources/_quarry/status';

/** Replaces $name and ${name} from scopedVars, then from a fixed table: enough of Grafana's templateSrv. */
function mockTemplateSrv(globals: Record<string, string>) {
  const replace = jest.fn((text: string, scopedVars?: ScopedVars) =>
    text.replace(/\$\{?(\w+)\}?/g, (m, name: string) => {
      const scoped = scopedVars?.[name]?.value;
      return scoped !== undefined ? String(scoped) : (globals[name] ?? m);
    })
  );
  setTemplateSrv({ replace, getVariables: () => [], containsTemplate: () => true, updateTimeRange: () => {} } as unknown as TemplateSrv);
  return replace;
}

function request(targets: QuarryQuery[]): DataQueryRequest<QuarryQuery> {
  const now = dateTime();
  return {
    requestId: 'r1',
    app: 'dashboard',
    interval: '1m',
    intervalMs: 60000,
    range: { from: now, to: now, raw: { from: 'now-1h', to: 'now' } },
    scopedVars: {},
    targets,
    timezone: 'browser',
    startTime: 0,
  };
}

describe('applyTemplateVariables', () => {
  it('interpolates strings, strings in arrays and string values of maps; leaves the rest alone', () => {
    const replace = mockTemplateSrv({ host: 'web-1', env: 'prod', region: 'eu' });
    const ds = makeDataSource();
    const query: QuarryQuery = {
      refId: '$host',
      datasource: { type: 'quarry-wasm-datasource', uid: '$env' },
      hide: false,
      queryType: '$env',
      metricName: 'cpu.$host',
      tags: ['$env', 'fixed', '${region}'],
      labels: { env: '$env', static: 'x' },
      nested: { deeper: ['$host'] },
      seriesCount: 3,
      fill: true,
      nothing: null,
    };
    const out = ds.applyTemplateVariables(query, { host: { text: 'db-7', value: 'db-7' } });
    expect(out).toEqual({
      refId: '$host',
      datasource: { type: 'quarry-wasm-datasource', uid: '$env' },
      hide: false,
      queryType: '$env',
      metricName: 'cpu.db-7',
      tags: ['prod', 'fixed', 'eu'],
      labels: { env: 'prod', static: 'x' },
      nested: { deeper: ['db-7'] },
      seriesCount: 3,
      fill: true,
      nothing: null,
    });
    // The scoped vars reach the template service.
    expect(replace).toHaveBeenCalledWith('cpu.$host', { host: { text: 'db-7', value: 'db-7' } });
    // The input is not mutated.
    expect(query.metricName).toBe('cpu.$host');
  });
});

describe('QuarryDataSource', () => {
  it('skips hidden queries', () => {
    const ds = makeDataSource();
    expect(ds.filterQuery({ refId: 'A', hide: true })).toBe(false);
    expect(ds.filterQuery({ refId: 'A' })).toBe(true);
  });

  it('loads the descriptor lazily, once per instance', async () => {
    const get = mockBackendSrv({ [STATUS_URL]: statusFor('http-api', httpApiDescriptor) });
    const ds = makeDataSource();
    expect(get.fetchMock).not.toHaveBeenCalled();
    expect(ds.getDefaultQuery('dashboard' as never)).toEqual({});

    const [a, b] = await Promise.all([ds.getDescriptor(), ds.getDescriptor()]);
    expect(a).toEqual(httpApiDescriptor);
    expect(b).toBe(a);
    await ds.getDescriptor();
    expect(get.fetchMock).toHaveBeenCalledTimes(1);
    expect(get.fetchMock.mock.calls[0][0]).toMatchObject({ url: STATUS_URL, method: 'GET' });
    expect(ds.getDefaultQuery('dashboard' as never)).toEqual({ metricName: 'cpu' });

    // Another instance (as after Grafana reloads the datasource) asks again.
    await makeDataSource().getDescriptor();
    expect(get.fetchMock).toHaveBeenCalledTimes(2);
  });

  it('tries again after a failed status request', async () => {
    const get = mockBackendSrv({});
    const ds = makeDataSource();
    await expect(ds.getDescriptor()).rejects.toThrow(/Could not read the module status/);
    mockBackendSrv({ [STATUS_URL]: statusFor('synthetic', null) });
    await expect(ds.getDescriptor()).resolves.toBeNull();
    expect(get.fetchMock).toHaveBeenCalledTimes(1);
  });

  it('variable queries are module queries with the variableQueryType', async () => {
    mockBackendSrv({ [STATUS_URL]: statusFor('http-api', httpApiDescriptor) });
    const ds = makeDataSource();
    const frame = createDataFrame({
      fields: [
        { name: 'n', type: FieldType.number, values: [1, 2] },
        { name: 'host', type: FieldType.string, values: ['web-1', 'web-2'] },
      ],
    });
    const query = jest.spyOn(ds, 'query').mockReturnValue(of({ data: [frame] }));
    const support = ds.variables as QuarryVariableSupport;
    const res = await lastValueFrom(support.query(request([{ refId: 'V', metricName: 'hosts' }])));
    expect(query.mock.calls[0][0].targets).toEqual([{ refId: 'V', metricName: 'hosts', queryType: 'variables' }]);
    expect(valuesFromFrames(res.data)).toEqual([
      { text: 'web-1', value: 'web-1' },
      { text: 'web-2', value: 'web-2' },
    ]);
    expect(await ds.metricFindQuery({ refId: 'V', metricName: 'hosts' })).toEqual([
      { text: 'web-1', value: 'web-1' },
      { text: 'web-2', value: 'web-2' },
    ]);
  });

  it('annotation queries get the annotationQueryType', async () => {
    mockBackendSrv({ [STATUS_URL]: statusFor('http-api', httpApiDescriptor) });
    const ds = makeDataSource();
    await ds.getDescriptor();
    const anno = { name: 'deploys', enable: true, iconColor: 'red', target: { refId: '', metricName: 'deploys' } } as AnnotationQuery<QuarryQuery>;
    expect(ds.annotations?.prepareQuery?.(anno)).toEqual({ refId: 'Anno', metricName: 'deploys', queryType: 'annotations' });
    expect(ds.annotations?.QueryEditor).toBeDefined();
  });

  it('the variable editor sets the queryType on the query it edits', async () => {
    mockBackendSrv({ [STATUS_URL]: statusFor('http-api', httpApiDescriptor) });
    const ds = makeDataSource();
    const onChange = jest.fn();
    render(<VariableQueryEditor datasource={ds} query={{ refId: 'V', metricName: 'hosts' }} onChange={onChange} onRunQuery={() => {}} />);
    await waitFor(() => expect(onChange).toHaveBeenCalledWith({ refId: 'V', metricName: 'hosts', queryType: 'variables' }));
  });
});
