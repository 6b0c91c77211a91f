function Get-Thing {
    <#
    .SYNOPSIS
        A fixture for the gate.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Name)
    Write-Host -Object $Name
    return $Name
}
