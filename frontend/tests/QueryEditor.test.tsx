import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React, { useState } from 'react';

import { QueryEditor } from '../src/components/QueryEditor';
import { Descriptor, QuarryQuery } from '../src/types';
import { httpApiDescriptor, statusFor } from './fixtures';
import { makeDataSource, mockBackendSrv, pickOption } from './helpers';

const STATUS_URL = '/api/datasources/uid/quarry-test/resources/_quarry/status';

function renderQueryEditor(descriptor: Descriptor | null, initial: QuarryQuery) {
  mockBackendSrv({ [STATUS_URL]: statusFor(descriptor ? 'http-api' : 'synthetic', descriptor) });
  const datasource = makeDataSource();
  const changes: QuarryQuery[] = [];
  const onRunQuery = jest.fn();
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <QueryEditor
        datasource={datasource}
        query={query}
        onChange={(q) => {
          changes.push(q);
          setQuery(q);
        }}
        onRunQuery={onRunQuery}
      />
    );
  }
  const user = userEvent.setup();
  render(<Harness />);
  return { user, changes, onRunQuery, last: () => changes[changes.length - 1] };
}

const input = (name: string) => document.getElementById(`quarry-q-A-${name}`) as HTMLInputElement;

describe('QueryEditor generated from querySchema', () => {
  it('renders every property type and puts the x-main field first', async () => {
    renderQueryEditor(httpApiDescriptor, { refId: 'A', metricName: 'mem' });
    await waitFor(() => expect(input('metricName')).toBeInTheDocument());

    const ids = Array.from(document.querySelectorAll('[id^="quarry-q-A-"]')).map((e) => e.id.replace('quarry-q-A-', ''));
    expect(ids[0]).toBe('metricName');
    expect(ids).toEqual(['metricName', 'script', 'scenario', 'seriesCount', 'amplitude', 'fill', 'tags', 'labels']);

    expect(input('metricName').value).toBe('mem');
    expect(input('script').tagName).toBe('TEXTAREA'); // x-multiline (TextArea outside Grafana)
    expect(input('scenario').getAttribute('role')).toBe('combobox'); // enum -> Select
    expect(screen.getByText('Random walk')).toBeInTheDocument(); // default, labelled by x-enumLabels
    expect(input('fill').type).toBe('checkbox'); // boolean -> Switch
    expect(input('seriesCount').placeholder).toBe('default: 1');
  });

  it('x-main goes first even when x-order puts it elsewhere', async () => {
    const descriptor: Descriptor = {
      ...httpApiDescriptor,
      querySchema: { ...httpApiDescriptor.querySchema!, 'x-order': ['script', 'scenario', 'metricName'] },
    };
    renderQueryEditor(descriptor, { refId: 'A', metricName: 'x' });
    await waitFor(() => expect(input('metricName')).toBeInTheDocument());
    const ids = Array.from(document.querySelectorAll('[id^="quarry-q-A-"]')).map((e) => e.id.replace('quarry-q-A-', ''));
    expect(ids.slice(0, 3)).toEqual(['metricName', 'script', 'scenario']);
  });

  it('text fields change on typing and run on blur; unknown keys survive', async () => {
    const { user, last, onRunQuery } = renderQueryEditor(httpApiDescriptor, {
      refId: 'A',
      metricName: 'cpu',
      custom: { nested: [1, 2] },
      hide: false,
    });
    await waitFor(() => expect(input('metricName')).toBeInTheDocument());
    await user.clear(input('metricName'));
    await user.type(input('metricName'), 'disk');
    expect(last()).toEqual({ refId: 'A', metricName: 'disk', custom: { nested: [1, 2] }, hide: false });
    expect(onRunQuery).not.toHaveBeenCalled();
    await user.tab();
    expect(onRunQuery).toHaveBeenCalledTimes(1);

    await user.type(input('script'), 'select 1');
    expect(last().script).toBe('select 1');
    expect(last().custom).toEqual({ nested: [1, 2] });
  });

  it('selects and switches run at once', async () => {
    const { user, last, onRunQuery } = renderQueryEditor(httpApiDescriptor, { refId: 'A', metricName: 'cpu' });
    await waitFor(() => expect(input('scenario')).toBeInTheDocument());
    await pickOption(user, 'quarry-q-A-scenario', 'Sine');
    expect(last().scenario).toBe('sine');
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    await user.click(input('fill'));
    expect(last().fill).toBe(true);
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('numbers: integers must be whole, numbers may be fractional', async () => {
    const { user, last, changes } = renderQueryEditor(httpApiDescriptor, { refId: 'A', metricName: 'cpu' });
    await waitFor(() => expect(input('seriesCount')).toBeInTheDocument());
    const before = changes.length;
    await user.type(input('seriesCount'), '2.5');
    expect(screen.getByText('Must be a whole number')).toBeInTheDocument();
    // "2" was valid on the way; "2.5" was not emitted.
    expect(changes.slice(before).map((q) => q.seriesCount)).not.toContain(2.5);
    await user.clear(input('seriesCount'));
    await user.type(input('seriesCount'), '4');
    expect(last().seriesCount).toBe(4);
    await user.type(input('amplitude'), '0.75');
    expect(last().amplitude).toBe(0.75);
  });

  it('string arrays as tags and string maps as key/value rows', async () => {
    const { user, last } = renderQueryEditor(httpApiDescriptor, { refId: 'A', metricName: 'cpu', labels: { env: 'prod' } });
    await waitFor(() => expect(input('tags')).toBeInTheDocument());
    await user.type(input('tags'), 'a{Enter}b{Enter}');
    expect(last().tags).toEqual(['a', 'b']);

    expect(screen.getByLabelText('quarry-q-A-labels key 1')).toHaveValue('env');
    await user.click(screen.getByRole('button', { name: 'Add quarry-q-A-labels row' }));
    await user.type(screen.getByLabelText('quarry-q-A-labels key 2'), 'team');
    await user.type(screen.getByLabelText('quarry-q-A-labels value 2'), 'obs');
    expect(last().labels).toEqual({ env: 'prod', team: 'obs' });
    await user.click(screen.getByRole('button', { name: 'Remove quarry-q-A-labels row 1' }));
    expect(last().labels).toEqual({ team: 'obs' });
  });

  it('the raw JSON toggle edits the whole model and round-trips unknown keys', async () => {
    const original = {
      refId: 'A',
      metricName: 'cpu',
      extra: { deep: { list: [1, 'two', null] } },
      datasource: { type: 'quarry-wasm-datasource', uid: 'quarry-test' },
    };
    const { user, last, onRunQuery } = renderQueryEditor(httpApiDescriptor, original);
    await waitFor(() => expect(input('metricName')).toBeInTheDocument());
    expect(screen.getByText(/Also in the model \(edit as raw JSON\): extra/)).toBeInTheDocument();

    await user.click(document.getElementById('quarry-raw-toggle-A')!);
    const raw = document.getElementById('quarry-raw-json') as HTMLTextAreaElement;
    expect(JSON.parse(raw.value)).toEqual({ metricName: 'cpu', extra: { deep: { list: [1, 'two', null] } } });

    fireEvent.change(raw, { target: { value: JSON.stringify({ metricName: 'net', extra: { deep: { list: [1, 'two', null] } }, more: true }) } });
    act(() => {
      fireEvent.blur(raw);
    });
    expect(last()).toEqual({ ...original, metricName: 'net', more: true });
    expect(onRunQuery).toHaveBeenCalled();

    // Back to the form: it shows what the JSON set.
    await user.click(document.getElementById('quarry-raw-toggle-A')!);
    expect(input('metricName').value).toBe('net');
  });

  it('a new empty query gets defaultQuery', async () => {
    const { last } = renderQueryEditor(httpApiDescriptor, { refId: 'A' });
    await waitFor(() => expect(last()).toEqual({ refId: 'A', metricName: 'cpu' }));
  });

  it('without defaultQuery, a new query gets the schema defaults', async () => {
    const { last } = renderQueryEditor({ ...httpApiDescriptor, defaultQuery: null }, { refId: 'A' });
    await waitFor(() =>
      expect(last()).toEqual({ refId: 'A', metricName: 'cpu', scenario: 'random_walk', seriesCount: 1, fill: false })
    );
  });

  it('an existing query is not overwritten by defaults', async () => {
    const { changes } = renderQueryEditor(httpApiDescriptor, { refId: 'A', metricName: 'mem' });
    await waitFor(() => expect(input('metricName')).toBeInTheDocument());
    expect(changes).toHaveLength(0);
  });

  it('a module without a descriptor gets the raw JSON editor only', async () => {
    const { last } = renderQueryEditor(null, { refId: 'A', scenario: 'sine' });
    const raw = (await screen.findByRole('textbox')) as HTMLTextAreaElement;
    expect(raw.id).toBe('quarry-raw-json');
    expect(screen.getByText(/does not describe its queries/)).toBeInTheDocument();
    expect(document.getElementById('quarry-raw-toggle-A')).toBeNull();
    fireEvent.change(raw, { target: { value: '{"scenario": "random_walk", "points": 10}' } });
    act(() => {
      fireEvent.blur(raw);
    });
    expect(last()).toEqual({ refId: 'A', scenario: 'random_walk', points: 10 });
  });
});
