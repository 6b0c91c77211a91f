function Get-Thing {
    <#
    .SYNOPSIS
        A fixture for the gate.
    #>
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Name)
    return $Name
}
