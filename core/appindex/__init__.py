"""The structure of a Rails app that cross-file rules, the server and evaluation share.

One pass over an app: Stimulus controllers (targets, values, classes, outlets, actions), the ids
views define (turbo frames and every other element id, literal or `dom_id`-style), the stream
targets views and controllers write to, partials and who renders them, models that broadcast,
controller actions with their `respond_to` formats and the gem versions from `Gemfile.lock`.

Ids are kept as globs: `dom_id(@list, :stats)` is `stats_list_*`, `"todo_#{t.id}"` is `todo_*`, an
expression we cannot read is `*`. Two ids may refer to the same element when their globs overlap.

Modules: `names` (Rails naming), `ids` (DOM id globs), `facts` (what one file contributes), `routes`
(config/routes.rb), `gemfile` (Gemfile.lock versions) and `index` (the app index itself). Everything
public is importable from `hotwire_assist.core.appindex`.
"""

from hotwire_assist.core.appindex.facts import (
    NESTS,
    STREAM_DIRECTIVES,
    FileFacts,
    IdDef,
    StimulusController,
    component_rendered,
    extract_facts,
)
from hotwire_assist.core.appindex.gemfile import TRACKED_GEMS, app_ruby_version, parse_gemfile_lock
from hotwire_assist.core.appindex.ids import id_pattern, ids_overlap
from hotwire_assist.core.appindex.index import (
    SKIP_DIRS,
    AppIndex,
    _root_of_dir,
    find_app_root,
    index_app,
    indexable,
    iter_app_files,
    read_text,
)
from hotwire_assist.core.appindex.names import (
    RAILS_APP_DIRS,
    dasherize,
    partial_name,
    pluralize,
    rails_app_root,
    singularize,
    stimulus_identifier,
    underscore,
    view_name,
)
from hotwire_assist.core.appindex.routes import parse_routes, route_name

__all__ = [
    "NESTS",
    "RAILS_APP_DIRS",
    "SKIP_DIRS",
    "STREAM_DIRECTIVES",
    "TRACKED_GEMS",
    "AppIndex",
    "FileFacts",
    "IdDef",
    "StimulusController",
    "_root_of_dir",
    "app_ruby_version",
    "component_rendered",
    "dasherize",
    "extract_facts",
    "find_app_root",
    "id_pattern",
    "ids_overlap",
    "index_app",
    "indexable",
    "iter_app_files",
    "parse_gemfile_lock",
    "parse_routes",
    "partial_name",
    "pluralize",
    "rails_app_root",
    "read_text",
    "route_name",
    "singularize",
    "stimulus_identifier",
    "underscore",
    "view_name",
]
