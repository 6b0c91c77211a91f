function Get-Exported {
    <#
    .SYNOPSIS
        A fixture for the gate.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Name)
    return $Name
}
