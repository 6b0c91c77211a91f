function Get-Thing {
    <#
    .SYNOPSIS
        A fixture for the gate.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Name)
    $lines = & git status
    return "$Name $lines"
}
