import EnvoyAPI
import MeshAPI

/// VirtualService `rewrite` → the route action's path and host rewrites.
enum RewriteTranslator {
    /// `uri` replaces the matched prefix (or the whole path for exact matches, as Envoy's
    /// prefix_rewrite does); `uriRegexRewrite` → regex_rewrite; `authority` → host_rewrite_literal.
    static func apply(_ rewrite: HTTPRewrite?, to action: inout Envoy_Config_Route_V3_RouteAction) {
        guard let rewrite else { return }
        if let uri = rewrite.uri { action.prefixRewrite = uri }
        if let regex = rewrite.uriRegexRewrite, let pattern = regex.match {
            var substitution = Envoy_Type_Matcher_V3_RegexMatchAndSubstitute()
            substitution.pattern = RouteMatchTranslator.regexMatcher(pattern)
            substitution.substitution = regex.rewrite ?? ""
            action.regexRewrite = substitution
        }
        if let authority = rewrite.authority { action.hostRewriteLiteral = authority }
    }
}
