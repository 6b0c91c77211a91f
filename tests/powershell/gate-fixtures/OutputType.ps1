function Get-Thing {
    <#
    .SYNOPSIS
        A fixture for the gate.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Name)
    return $Name
}
