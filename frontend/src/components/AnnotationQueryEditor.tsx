import { AnnotationQuery, QueryEditorProps } from '@grafana/data';
import React from 'react';

import type { QuarryDataSource } from '../datasource';
import { QuarryQuery } from '../types';
import { QuarryQueryEditor } from './QueryEditor';

// Grafana types the annotation editor's datasource as `any`; it is this plugin's QuarryDataSource.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Props = QueryEditorProps<any, QuarryQuery> & {
  annotation?: AnnotationQuery<QuarryQuery>;
  onAnnotationChange?: (annotation: AnnotationQuery<QuarryQuery>) => void;
};

/**
 * The annotation editor: the query editor with queryType = the descriptor's annotationQueryType.
 * Grafana's standard processing turns the returned frames into events (time, timeEnd, text, tags).
 */
export function AnnotationQueryEditor({ annotation, onAnnotationChange, ...props }: Props) {
  const query: QuarryQuery = props.query ?? annotation?.target ?? { refId: 'Anno' };
  const onChange = (target: QuarryQuery) => {
    if (props.onChange) {
      props.onChange(target);
    } else if (annotation && onAnnotationChange) {
      onAnnotationChange({ ...annotation, target });
    }
  };
  return <QuarryQueryEditor {...props} datasource={props.datasource as QuarryDataSource} query={query} onChange={onChange} purpose="annotation" />;
}
