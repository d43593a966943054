import {
  CoreApp,
  CustomVariableSupport,
  DataFrame,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceInstanceSettings,
  FieldType,
  MetricFindValue,
  ScopedVars,
  dateTime,
} from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';
import { Observable, from, lastValueFrom, mergeMap } from 'rxjs';

import { RESERVED_PREFIX, errorMessage } from './api';
import { AnnotationQueryEditor } from './components/AnnotationQueryEditor';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import { interpolateQuery } from './interpolate';
import { defaultQueryFor } from './schema';
import { Descriptor, QuarryOptions, QuarryQuery, StatusResponse } from './types';

export class QuarryDataSource extends DataSourceWithBackend<QuarryQuery, QuarryOptions> {
  private statusPromise?: Promise<StatusResponse>;
  private descriptorCache: Descriptor | null | undefined;

  constructor(instanceSettings: DataSourceInstanceSettings<QuarryOptions>) {
    super(instanceSettings);
    // Grafana asks for variable and annotation support synchronously, before the descriptor can have
    // arrived; both are registered always and their editors say so when the running module has no
    // variableQueryType / annotationQueryType.
    this.variables = new QuarryVariableSupport(this);
    this.annotations = {
      QueryEditor: AnnotationQueryEditor,
      prepareQuery: (anno) => {
        const target = anno.target;
        if (!target) {
          return undefined;
        }
        const queryType = target.queryType ?? this.cachedDescriptor()?.annotationQueryType ?? undefined;
        return { ...target, refId: target.refId || 'Anno', ...(queryType ? { queryType } : {}) };
      },
    };
  }

  /** `_quarry/status`, fetched once per datasource instance (again after a failure, or on `refresh`). */
  getStatus(refresh = false): Promise<StatusResponse> {
    if (!this.statusPromise || refresh) {
      this.statusPromise = this.getResource<StatusResponse>(`${RESERVED_PREFIX}status`, undefined, {
        showErrorAlert: false,
      }).then(
        (status) => {
          this.descriptorCache = status?.running?.descriptor ?? null;
          return status;
        },
        (err) => {
          this.statusPromise = undefined;
          throw new Error(`Could not read the module status: ${errorMessage(err)}`);
        }
      );
    }
    return this.statusPromise;
  }

  /** The running module's descriptor (null for 0.2 modules or when nothing runs), loaded lazily. */
  async getDescriptor(): Promise<Descriptor | null> {
    const status = await this.getStatus();
    return status?.running?.descriptor ?? null;
  }

  /** The descriptor if it has already been loaded; undefined if not yet. */
  cachedDescriptor(): Descriptor | null | undefined {
    return this.descriptorCache;
  }

  getDefaultQuery(_app: CoreApp): Partial<QuarryQuery> {
    return defaultQueryFor(this.descriptorCache) as Partial<QuarryQuery>;
  }

  filterQuery(query: QuarryQuery): boolean {
    return !query.hide;
  }

  applyTemplateVariables(query: QuarryQuery, scopedVars: ScopedVars): QuarryQuery {
    const templateSrv = getTemplateSrv();
    return interpolateQuery(query, (text) => templateSrv.replace(text, scopedVars));
  }

  /**
   * Fallback for callers that still use metricFindQuery: runs the query as a variable query and
   * takes the first string field of the first frame.
   */
  async metricFindQuery(query: QuarryQuery | string, options?: { range?: DataQueryRequest['range'] }): Promise<MetricFindValue[]> {
    const target: QuarryQuery = typeof query === 'string' ? { refId: 'metricFindQuery', query } : { ...query };
    const now = dateTime();
    const range = options?.range ?? { from: dateTime(now).subtract(6, 'hour'), to: now, raw: { from: 'now-6h', to: 'now' } };
    const request: DataQueryRequest<QuarryQuery> = {
      requestId: `quarry-metricFindQuery-${Date.now()}`,
      app: CoreApp.Dashboard,
      interval: '1m',
      intervalMs: 60000,
      range,
      scopedVars: {},
      targets: [{ ...target, refId: target.refId || 'metricFindQuery' }],
      timezone: 'browser',
      startTime: Date.now(),
    };
    const response = await lastValueFrom((this.variables as QuarryVariableSupport).query(request));
    return valuesFromFrames(response.data as DataFrame[]);
  }
}

/** The values of the first string field of the first frame that has one. */
export function valuesFromFrames(frames: DataFrame[] | undefined): MetricFindValue[] {
  for (const frame of frames ?? []) {
    const field = frame.fields?.find((f) => f.type === FieldType.string);
    if (field) {
      const values: unknown[] = Array.from(field.values as ArrayLike<unknown>);
      return values.filter((v) => v !== null && v !== undefined).map((v) => ({ text: String(v), value: String(v) }));
    }
  }
  return [];
}

/**
 * Query variables are ordinary queries of the module with `queryType` set to the descriptor's
 * `variableQueryType`; Grafana turns the returned frames into values (first string field).
 */
export class QuarryVariableSupport extends CustomVariableSupport<QuarryDataSource, QuarryQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: QuarryDataSource) {
    super();
    this.query = this.query.bind(this);
  }

  query(request: DataQueryRequest<QuarryQuery>): Observable<DataQueryResponse> {
    return from(this.datasource.getDescriptor().catch(() => null)).pipe(
      mergeMap((descriptor) => {
        const queryType = descriptor?.variableQueryType ?? undefined;
        const targets = request.targets.map((t) => ({
          ...t,
          refId: t.refId || 'variable',
          ...(t.queryType || !queryType ? {} : { queryType }),
        }));
        return this.datasource.query({ ...request, targets });
      })
    );
  }
}
