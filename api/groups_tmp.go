package api

// AllGroups is every route group (temporary: moves to the node assembly).
var AllGroups = []Group{tenantRoutes, compatRoutes, adminRoutes}
